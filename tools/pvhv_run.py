#!/usr/bin/python3
"""Boot pvhv once under an emulator and judge the run (DESIGN.md §10).

This is the one path behind `make run`, the system tests and the benchmarks:
it builds the QEMU command line, streams the serial console live, kills the
emulator at a timeout, and exits 0 exactly when QEMU ended through
isa-debug-exit with the pass code (0x10 -> status 33) AND the last `@pvhv`
`end` record says "status":"pass". Anything else exits 1 with one line why.

Importable: run(smp=..., args=..., timeout=...) -> Result.
Environment: PVHV_BUILD names the build directory (default build/);
PVHV_QEMU replaces the qemu-system-x86_64 binary (tests use a
fake one).

--emu bochs (Intel VMX): Bochs cannot load multiboot kernels. By default
(--loader direct) pvhv's own option ROM (boot/bochs/optrom.asm) boots it:
Bochs places the ROM, hv.elf's loaded image and a multiboot1 information
block with the command line and guest.elf straight into memory
(optromimage/optramimage), and the ROM jumps to the hypervisor during the
BIOS's POST. With 4 pCPUs pvhv prints its first line after ~0.2 s instead of
the ~8 s that BIOS boot-menu wait and GRUB cost on an SMP Bochs (every
emulated instruction is slower once Bochs interleaves several CPUs).
--loader grub builds a GRUB ISO in a temporary directory (hv.elf,
guest.elf and a grub.cfg carrying --args) instead, the path bare metal
takes; --iso boots a given ISO. Each run writes a bochsrc for the --cpu
model (default a VMX-capable Intel one; AMD models such as ryzen run the
SVM backend) and runs Bochs under `script` (its `term` display wants a
terminal) with `c` fed to its debugger prompt. COM1 goes to a file that is streamed as it grows. Bochs'
exit status means nothing (DESIGN.md §1), and COM1 carries guest text too,
so the verdict is the `end` record the hypervisor writes to LPT1 (and to
COM2, for which Bochs has no timer left at 16 CPUs), ports no guest can
reach (all guest port I/O is intercepted; issue 13 item 5). COM1's
last end record must agree with it. Bochs is stopped once the verdict is in.

--native: no hypervisor. guest.elf itself is the multiboot1 kernel (QEMU
-kernel; under Bochs a GRUB `multiboot` entry); it finds its CPUs, prints
the same `run`/`vm`/`end` records ("backend":"none", "native":true) and
leaves through the same exit ports, so it is judged the same way, except
that under Bochs its verdict is COM1's end record (there is no hypervisor
to write LPT1, and the guest is then the machine's only kernel).
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pvhv_log  # noqa: E402  (sits next to this file)
# Re-exported: tests, bench and test_models reach them as pvhv_run.X.
from pvhv_common import (BUILD_DIR, DEFAULT_GUEST, DEFAULT_HV, DEFAULT_ISO,  # noqa: E402,F401
                         REPO, RunError, guest_paths)
from pvhv_bochs import (BOCHS_CPU_MODEL, BOCHS_CPU_MODELS,  # noqa: E402,F401
                        BOCHS_DEFAULT_MEM, BOCHS_EXIT_GRACE_S, BOCHS_IPS, BOCHS_LOADERS,
                        BOCHS_POLL_S, DEFAULT_OPTROM, _grub_word, bochs_cmd, make_bochs_direct,
                        make_bochs_iso, write_bochsrc)

DEFAULT_CPU = "qemu64,+svm,+npt"
DEFAULT_SMP = 2
DEFAULT_MEM = "512M"
DEFAULT_TIMEOUT = 600
# QEMU's TCG threading (-accel tcg,thread=...): multi gives every pCPU a host
# thread; single interleaves them on one (see README "Known defects").
TCG_MODES = ("multi", "single")
DEFAULT_TCG = "multi"

# isa-debug-exit turns a write of v into QEMU exit status (v << 1) | 1.
DEBUG_EXIT_PORT = "0xf4"
STATUS_PASS = (0x10 << 1) | 1   # 33
STATUS_FAIL = (0x11 << 1) | 1   # 35

KILL_GRACE_S = 5

@dataclass
class Result:
    """How one boot ended.

    exit_code: what the script exits with: 0 exactly when passed, else 1.
    qemu_status: QEMU's own exit status (33 pass, 35 fail), None on timeout.
    reason: one line saying why the run passed or failed.
    """
    exit_code: int
    passed: bool
    log_text: str
    records: list
    reason: str = ""
    qemu_status: "int | None" = None
    timed_out: bool = False
    cmd: list = field(default_factory=list)
    stderr: str = ""

    def of_kind(self, kind):
        return pvhv_log.of_kind(self.records, kind)

    def end(self):
        return pvhv_log.last(self.records, "end")


def qemu_binary():
    return os.environ.get("PVHV_QEMU", "qemu-system-x86_64")


def native_images(native, iso, hv, guest, no_guest):
    """(hv, guest, no_guest) to boot: with --native the guest ELF is the
    kernel and there is no module."""
    if not native:
        return hv, guest, no_guest
    if iso is not None:
        raise RunError("--native cannot be used with --iso (the ISO's second menu "
                       "entry boots the guest natively)")
    if hv is not None or no_guest:
        raise RunError("--native boots the guest alone: --hv/--no-guest do not apply")
    guests = guest_paths(guest)
    if len(guests) != 1:
        raise RunError("--native boots one guest kernel: give --guest a single file")
    return guests[0], None, True


def build_cmd(smp=DEFAULT_SMP, args="", mem=DEFAULT_MEM, iso=None, hv=None,
              guest=None, no_guest=False, cpu=DEFAULT_CPU, deterministic=False,
              emu="qemu", native=False, tcg=DEFAULT_TCG):
    """The emulator command line as a list; raises RunError on bad options."""
    hv, guest, no_guest = native_images(native, iso, hv, guest, no_guest)
    if emu == "bochs":
        _check_bochs_options(smp, args, iso, guest, hv, no_guest, cpu, deterministic)
        if tcg != DEFAULT_TCG:
            raise RunError("--tcg is a QEMU option (Bochs has no TCG)")
        return bochs_cmd("<run dir>/bochsrc")
    if emu != "qemu":
        raise RunError(f"--emu {emu}: unknown emulator (allowed: qemu, bochs)")
    if not isinstance(smp, int) or smp < 1:
        raise RunError(f"--smp {smp}: must be a positive integer")
    cmd = [qemu_binary(), "-machine", "pc", "-cpu", cpu, "-smp", str(smp), "-m", mem]
    if iso is not None:
        if args:
            raise RunError("--args cannot be used with --iso: the ISO carries its own command line")
        if no_guest or guest is not None or hv is not None:
            raise RunError("--hv/--guest/--no-guest cannot be used with --iso: the ISO carries both")
        cmd += ["-cdrom", str(iso), "-boot", "d"]
    else:
        cmd += ["-kernel", str(hv if hv is not None else DEFAULT_HV)]
        if no_guest:
            if guest is not None:
                raise RunError("--guest and --no-guest contradict each other")
        else:
            # QEMU's multiboot loader: one module per comma (module i -> VM i).
            cmd += ["-initrd", ",".join(str(g) for g in guest_paths(guest))]
        cmd += ["-append", args]
    cmd += ["-display", "none", "-no-reboot", "-serial", "stdio", "-monitor", "none",
            "-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT},iosize=0x04"]
    if tcg not in TCG_MODES:
        raise RunError(f"--tcg {tcg}: unknown TCG threading (allowed: {', '.join(TCG_MODES)})")
    if deterministic:
        cmd += ["-accel", "tcg,thread=single", "-icount", "shift=5,sleep=off"]
    else:
        cmd += ["-accel", f"tcg,thread={tcg}"]
    return cmd


def _check_inputs(iso, hv, guest, no_guest):
    """Fail before starting QEMU when a file it needs is missing."""
    if iso is not None:
        needed = [("ISO", iso)]
    else:
        needed = [("hypervisor", hv if hv is not None else DEFAULT_HV)]
        if not no_guest:
            needed += [("guest", g) for g in guest_paths(guest)]
    for what, path in needed:
        if not Path(path).is_file():
            raise RunError(f"{what} image {path} not found (build it first: make)")


def _pump(stream, sinks, chunks):
    """Copy a pipe to `sinks` as bytes arrive, keeping a copy in `chunks`."""
    while True:
        data = os.read(stream.fileno(), 65536)
        if not data:
            return
        chunks.append(data)
        for sink in list(sinks):
            try:
                sink.write(data)
                sink.flush()
            except OSError as e:
                # A closed console (`| head`) must not stall QEMU on a full
                # pipe; the run goes on and is still judged from `chunks`.
                print(f"pvhv_run: warning: stopped copying serial output: {e}", file=sys.stderr)
                sinks.remove(sink)


def _kill_group(proc):
    """End the emulator and anything it started (its own process group)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=KILL_GRACE_S)
            return
        except subprocess.TimeoutExpired:
            continue


def judge(qemu_status, timed_out, timeout, records, stderr_text):
    """(passed, reason) for a finished run."""
    end = pvhv_log.last(records, "end")
    if timed_out:
        return False, f"timeout after {timeout:g} s"
    if qemu_status not in (STATUS_PASS, STATUS_FAIL):
        detail = stderr_text.strip().splitlines()
        detail = f": {detail[-1]}" if detail else ""
        if qemu_status == 0:
            return False, ("QEMU exited with status 0 without isa-debug-exit "
                           f"(hypervisor reset or triple-faulted?){detail}")
        return False, f"QEMU error: exit status {qemu_status}{detail}"
    if end is None:
        return False, f"no end record (QEMU exit status {qemu_status})"
    status = end.get("status")
    if status != "pass":
        return False, f"run failed: end status {status!r}: {end.get('reason', 'no reason given')}"
    if qemu_status != STATUS_PASS:
        return False, f"end record says pass but QEMU exit status is {qemu_status} (fail code)"
    return True, f"pass: {end.get('reason', 'end status pass')}"


def _check_bochs_options(smp, args, iso, guest, hv, no_guest, cpu, deterministic):
    if not isinstance(smp, int) or smp < 1:
        raise RunError(f"--smp {smp}: must be a positive integer")
    if iso is not None and (args or no_guest or guest is not None or hv is not None):
        raise RunError("--args/--hv/--guest/--no-guest cannot be used with --iso: the ISO carries its own")
    if no_guest and guest is not None:
        raise RunError("--guest and --no-guest contradict each other")
    bochs_model(cpu)
    if deterministic:
        raise RunError("--deterministic is a QEMU option (Bochs runs with clock sync=none, "
                       "which is already instruction-count based)")
    for tool in ("bochs", "script") + (("grub-mkrescue",) if iso is None else ()):
        if shutil.which(tool) is None:
            raise RunError(f"{tool} not found (Debian: apt-get install bochs bochs-term bochsbios "
                           "vgabios grub-pc-bin grub-common xorriso mtools)")


def bochs_model(cpu):
    """The Bochs `cpu: model=` for --cpu (QEMU's default means Bochs' default);
    raises RunError naming the known models for anything else."""
    if cpu is None or cpu == DEFAULT_CPU:
        return BOCHS_CPU_MODEL
    if cpu not in BOCHS_CPU_MODELS:
        raise RunError(f"--cpu {cpu}: not a Bochs 2.7 CPU model (known: "
                       f"{', '.join(BOCHS_CPU_MODELS)})")
    return cpu


def _end_seen(text):
    """True once a whole `end` record has arrived. Its line may lack the
    newline: Bochs exits on the `Shutdown` write before its UART has sent
    the last characters."""
    return pvhv_log.last(pvhv_log.parse(text.replace("\r\n", "\n")), "end") is not None


def judge_bochs(timed_out, timeout, records, verdict):
    """(passed, reason): the end record on LPT1 (`verdict`, records parsed
    from the hypervisor-only port) is the verdict; COM1's must agree."""
    end = pvhv_log.last(verdict, "end")
    if end is None:
        return False, (f"timeout after {timeout:g} s without a verdict (end record on LPT1)"
                       if timed_out else "Bochs exited without a verdict (end record on LPT1)")
    ends = pvhv_log.of_kind(records, "end")
    if len(pvhv_log.of_kind(verdict, "end")) != 1 or len(ends) != 1 or ends[0] != end:
        return False, (f"COM1 end records {ends} do not match the verdict on LPT1 {end}")
    status = end.get("status")
    if status != "pass":
        return False, f"run failed: end status {status!r}: {end.get('reason', 'no reason given')}"
    return True, f"pass: {end.get('reason', 'end status pass')}"


BOCHS_PROMPT = re.compile(rb"<bochs:(\d+)> ")


def _answer(proc, line):
    try:
        proc.stdin.write(line)
        proc.stdin.flush()
    except OSError:
        pass


def _continue_debugger_stops(proc):
    """Bochs' debugger stops at start-up (answered at once) and again when
    an SVM guest triple-faults: Bochs 2.7 breaks into the debugger before it
    looks at the SHUTDOWN intercept (cpu/exception.cc). Every later prompt
    on Bochs' terminal gets `c` too, so the intercept exits to pvhv."""
    answered, tail = {1}, b""
    while True:
        try:
            data = proc.stdout.read1(4096)
        except (OSError, ValueError):
            return
        if not data:
            return
        tail = (tail + data)[-256:]
        for m in BOCHS_PROMPT.finditer(tail):
            n = int(m.group(1))
            if n not in answered:
                answered.add(n)
                _answer(proc, b"c\n")


def _open_sinks(quiet, out, log):
    """Where serial output goes: the console (unless quiet) and the log
    file. Returns (sinks, log_file or None); the caller closes the file."""
    sinks = []
    if not quiet:
        sinks.append(out if out is not None else sys.stdout.buffer)
    log_file = open(log, "wb") if log else None
    if log_file:
        sinks.append(log_file)
    return sinks, log_file


def run_bochs(smp=DEFAULT_SMP, args="", timeout=DEFAULT_TIMEOUT, mem=BOCHS_DEFAULT_MEM,
              iso=None, log=None, quiet=True, hv=None, guest=None, no_guest=False,
              cpu=DEFAULT_CPU, deterministic=False, out=None, keep_dir=False, native=False,
              loader="direct"):
    """Boot once under Bochs (VMX) and return a Result (see module doc)."""
    hv, guest, no_guest = native_images(native, iso, hv, guest, no_guest)
    _check_bochs_options(smp, args, iso, guest, hv, no_guest, cpu, deterministic)
    _check_inputs(iso, hv, guest, no_guest)
    if loader not in BOCHS_LOADERS:
        raise RunError(f"--loader {loader}: unknown (allowed: {', '.join(BOCHS_LOADERS)})")
    if iso is None and loader == "direct" and not DEFAULT_OPTROM.is_file():
        raise RunError(f"Bochs loader ROM {DEFAULT_OPTROM} not found (build it first: make)")
    if iso is None and not native and not re.search(r"(^|\s)ips=", args):
        # Bochs' clocks follow the instruction count: tell pvhv the rate so
        # its TSC frequency is exact instead of calibrated (deterministic
        # records, DESIGN.md §1).
        args = f"{args} ips={BOCHS_IPS}".strip()
    workdir = tempfile.mkdtemp(prefix="pvhv-bochs-")
    sinks, log_file = _open_sinks(quiet, out, log)
    chunks, timed_out, proc = [], False, None
    verdict_file = None
    try:
        serial = Path(workdir) / "com1.log"
        serial.touch()
        verdict_file = Path(workdir) / "verdict.log"
        verdict_file.touch()
        # The native guest boots through GRUB's multiboot (the ROM loads pvhv).
        if iso is not None or loader == "grub" or native:
            boot_iso = Path(iso) if iso is not None else make_bochs_iso(workdir, args, hv, guest,
                                                                        no_guest, native)
            rc = write_bochsrc(workdir, boot_iso.resolve(), smp, mem, serial,
                               bochs_model(cpu), verdict_path=verdict_file)
        else:
            rc = write_bochsrc(workdir, None, smp, mem, serial, bochs_model(cpu),
                               ram_images=make_bochs_direct(workdir, args, hv, guest, no_guest),
                               optrom=DEFAULT_OPTROM, verdict_path=verdict_file)
        cmd = bochs_cmd(rc)
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, start_new_session=True, cwd=workdir)
        except OSError as e:
            raise RunError(f"cannot start {cmd[0]}: {e.strerror}") from e
        _answer(proc, b"c\n")     # leave Bochs' start-up debugger prompt
        threading.Thread(target=_continue_debugger_stops, args=(proc,), daemon=True).start()
        started = time.monotonic()
        end_at = None
        with open(serial, "rb") as f:
            while True:
                data = f.read()
                if data:
                    chunks.append(data)
                    for sink in list(sinks):
                        try:
                            sink.write(data)
                            sink.flush()
                        except OSError as e:
                            print(f"pvhv_run: warning: stopped copying serial output: {e}",
                                  file=sys.stderr)
                            sinks.remove(sink)
                verdict_src = (b"".join(chunks).decode("utf-8", "replace") if native
                               else verdict_file.read_text("utf-8", "replace"))
                if end_at is None and _end_seen(verdict_src):
                    end_at = time.monotonic()
                exited = proc.poll() is not None
                if exited and not data:
                    break
                if end_at is not None and time.monotonic() - end_at > BOCHS_EXIT_GRACE_S:
                    break
                if end_at is None and time.monotonic() - started > timeout:
                    timed_out = True
                    break
                if not data:
                    time.sleep(BOCHS_POLL_S)
    except KeyboardInterrupt:
        raise
    finally:
        if proc is not None and proc.poll() is None:
            _kill_group(proc)
        if log_file:
            log_file.close()
        verdict_text = (verdict_file.read_text("utf-8", "replace")
                        if verdict_file is not None and verdict_file.is_file() else "")
        bochs_log = Path(workdir) / "bochs.log"
        stderr_text = bochs_log.read_text(errors="replace")[-4000:] if bochs_log.is_file() else ""
        if not keep_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    log_text = b"".join(chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")
    records = pvhv_log.parse(log_text)
    # Native: no hypervisor writes LPT1; the guest is the only kernel there.
    verdict = records if native else pvhv_log.parse(verdict_text.replace("\r\n", "\n"))
    passed, reason = judge_bochs(timed_out, timeout, records, verdict)
    return Result(exit_code=0 if passed else 1, passed=passed, log_text=log_text,
                  records=records, reason=reason, qemu_status=None, timed_out=timed_out,
                  cmd=cmd, stderr=stderr_text)


def run(smp=DEFAULT_SMP, args="", timeout=DEFAULT_TIMEOUT, mem=DEFAULT_MEM,
        iso=None, emu="qemu", log=None, quiet=True, hv=None, guest=None,
        no_guest=False, cpu=DEFAULT_CPU, deterministic=False, out=None, native=False,
        loader="direct", tcg=DEFAULT_TCG):
    """Boot once and return a Result. Raises RunError if it cannot start.

    `out` is a binary stream for the live console (default sys.stdout's
    buffer); nothing is streamed when `quiet`. `log` is a file path that
    receives the raw serial output as it arrives. emu="bochs" goes to
    run_bochs (Intel VMX), judged by the end record alone.
    """
    if emu == "bochs":
        if tcg != DEFAULT_TCG:
            raise RunError("--tcg is a QEMU option (Bochs has no TCG)")
        return run_bochs(smp=smp, args=args, timeout=timeout,
                         mem=BOCHS_DEFAULT_MEM if mem == DEFAULT_MEM else mem, iso=iso,
                         log=log, quiet=quiet, hv=hv, guest=guest, no_guest=no_guest, cpu=cpu,
                         deterministic=deterministic, out=out, native=native, loader=loader)
    if loader != "direct":
        raise RunError("--loader is a Bochs option (QEMU loads multiboot kernels itself)")
    hv, guest, no_guest = native_images(native, iso, hv, guest, no_guest)
    cmd = build_cmd(smp=smp, args=args, mem=mem, iso=iso, hv=hv, guest=guest,
                    no_guest=no_guest, cpu=cpu, deterministic=deterministic, emu=emu,
                    tcg=tcg)
    _check_inputs(iso, hv, guest, no_guest)
    sinks, log_file = _open_sinks(quiet, out, log)
    out_chunks, err_chunks = [], []
    try:
        try:
            # Own session: a timeout kill reaches everything QEMU (or a fake
            # script) started, and stdin stays away from the serial port.
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            raise RunError(f"cannot start {cmd[0]}: {e.strerror}") from e
        pumps = [threading.Thread(target=_pump, args=(proc.stdout, sinks, out_chunks), daemon=True),
                 threading.Thread(target=_pump, args=(proc.stderr, [], err_chunks), daemon=True)]
        for t in pumps:
            t.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
        except KeyboardInterrupt:
            _kill_group(proc)
            raise
        for t in pumps:
            t.join(timeout=KILL_GRACE_S)
    finally:
        if log_file:
            log_file.close()
    log_text = b"".join(out_chunks).decode("utf-8", errors="replace").replace("\r\n", "\n")
    stderr_text = b"".join(err_chunks).decode("utf-8", errors="replace")
    records = pvhv_log.parse(log_text)
    qemu_status = None if timed_out else proc.returncode
    passed, reason = judge(qemu_status, timed_out, timeout, records, stderr_text)
    return Result(exit_code=0 if passed else 1, passed=passed, log_text=log_text,
                  records=records, reason=reason, qemu_status=qemu_status,
                  timed_out=timed_out, cmd=cmd, stderr=stderr_text)


def _parser():
    ap = argparse.ArgumentParser(
        description="Boot pvhv under QEMU or Bochs; exit 0 exactly when the run passes.")
    ap.add_argument("--smp", type=int, default=DEFAULT_SMP, help=f"pCPUs (QEMU -smp), default {DEFAULT_SMP}")
    ap.add_argument("--args", default="", metavar="CMDLINE", help="hypervisor command line (key=value words)")
    ap.add_argument("--mem", default=DEFAULT_MEM, help=f"machine memory, default {DEFAULT_MEM}")
    ap.add_argument("--iso", nargs="?", const=str(DEFAULT_ISO), default=None,
                    help=f"boot the GRUB ISO (default {os.path.relpath(DEFAULT_ISO, REPO)}) instead of -kernel")
    ap.add_argument("--emu", default="qemu", choices=["qemu", "bochs"], help="emulator: qemu (AMD SVM under TCG) or bochs (VMX or SVM by --cpu model; judged by the end record only)")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                    help=f"kill the emulator after this long, default {DEFAULT_TIMEOUT}")
    ap.add_argument("--log", metavar="FILE", help="also write the serial output here")
    ap.add_argument("--quiet", action="store_true", help="do not stream the serial output")
    ap.add_argument("--hv", help=f"hypervisor ELF, default {os.path.relpath(DEFAULT_HV, REPO)}")
    ap.add_argument("--guest", help=f"guest ELF module, default {os.path.relpath(DEFAULT_GUEST, REPO)}")
    ap.add_argument("--no-guest", action="store_true", help="boot without a guest module (tests the error path)")
    ap.add_argument("--cpu", default=DEFAULT_CPU, metavar="MODEL", help=f"QEMU -cpu, default {DEFAULT_CPU}; with --emu bochs a Bochs "
                    f"CPU model, default {BOCHS_CPU_MODEL} (ryzen, zambezi, trinity_apu: SVM)")
    ap.add_argument("--deterministic", action="store_true",
                    help="single-threaded TCG with -icount shift=5,sleep=off (reproducible runs)")
    ap.add_argument("--tcg", default=DEFAULT_TCG, choices=TCG_MODES,
                    help=f"QEMU only: TCG threading, default {DEFAULT_TCG} (one host thread per "
                         "pCPU); single runs every pCPU on one host thread and avoids the "
                         "multi-threaded TCG triple fault of README Known defects (make test "
                         "uses it)")
    ap.add_argument("--native", action="store_true",
                    help="no hypervisor: boot guest.elf alone on the emulated machine "
                         "(--args are guest words; vcpus=N uses N of the --smp CPUs)")
    ap.add_argument("--loader", default="direct", choices=BOCHS_LOADERS,
                    help="Bochs only: direct (pvhv's option ROM, fast) or grub (a GRUB ISO, "
                         "as on bare metal); default direct")
    ap.add_argument("--summary", action="store_true",
                    help="end with one line per VM: throughput, fair share, spin waste, "
                         "halts/kicks, violations (tools/pvhv_summary.py; make run)")
    ap.add_argument("--baseline", type=float, metavar="ACQ_PER_S",
                    help="with --summary: one VM's 1x throughput, for the fair-share efficiency")
    ap.add_argument("--print-cmd", action="store_true", help="print the emulator command and exit")
    return ap


def main(argv=None):
    opts = _parser().parse_args(argv)
    common = dict(smp=opts.smp, args=opts.args, mem=opts.mem, iso=opts.iso, hv=opts.hv,
                  guest=opts.guest, no_guest=opts.no_guest, cpu=opts.cpu,
                  deterministic=opts.deterministic, emu=opts.emu, native=opts.native,
                  tcg=opts.tcg)
    try:
        if opts.print_cmd:
            print(shlex.join(build_cmd(**common)))
            return 0
        started = time.monotonic()
        result = run(timeout=opts.timeout, log=opts.log, quiet=opts.quiet,
                     loader=opts.loader, **common)
    except RunError as e:
        print(f"pvhv_run: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pvhv_run: interrupted", file=sys.stderr)
        return 130
    elapsed = time.monotonic() - started
    if opts.summary:
        import pvhv_summary
        print("== pvhv_run: summary ==")
        for line in pvhv_summary.lines(result.records, opts.baseline) or ["no lockstress VMs"]:
            print(line)
        sys.stdout.flush()
    print(f"pvhv_run: {'PASS' if result.passed else 'FAIL'}: {result.reason} ({elapsed:.1f} s)",
          file=sys.stderr)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
