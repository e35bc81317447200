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
so the verdict is the `end` record the hypervisor writes to COM2, a port no
guest can reach (all guest port I/O is intercepted; issue 13 item 5). COM1's
last end record must agree with it. Bochs is stopped once the verdict is in.

--native: no hypervisor. guest.elf itself is the multiboot1 kernel (QEMU
-kernel; under Bochs a GRUB `multiboot` entry); it finds its CPUs, prints
the same `run`/`vm`/`end` records ("backend":"none", "native":true) and
leaves through the same exit ports, so it is judged the same way, except
that under Bochs its verdict is COM1's end record (there is no hypervisor
to write COM2, and the guest is then the machine's only kernel).
"""

import argparse
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pvhv_log  # noqa: E402  (sits next to this file)

REPO = Path(__file__).resolve().parent.parent
# PVHV_BUILD names another build directory (make test-mutants boots the
# planted-bug builds in build/mutant-<name> through the same tests).
BUILD_DIR = Path(os.environ.get("PVHV_BUILD", REPO / "build"))
if not BUILD_DIR.is_absolute():
    BUILD_DIR = REPO / BUILD_DIR
DEFAULT_HV = BUILD_DIR / "hv.elf"
DEFAULT_GUEST = BUILD_DIR / "guest.elf"
DEFAULT_ISO = BUILD_DIR / "pvhv.iso"
DEFAULT_CPU = "qemu64,+svm,+npt"
DEFAULT_SMP = 2
DEFAULT_MEM = "512M"
DEFAULT_TIMEOUT = 600

# isa-debug-exit turns a write of v into QEMU exit status (v << 1) | 1.
DEBUG_EXIT_PORT = "0xf4"
STATUS_PASS = (0x10 << 1) | 1   # 33
STATUS_FAIL = (0x11 << 1) | 1   # 35

KILL_GRACE_S = 5

# Bochs (VMX): a Skylake-X model offers VMX with EPT, VPID, unrestricted
# guest, PAUSE-loop exiting and the preemption timer.
BOCHS_CPU_MODEL = "corei7_skylake_x"
# Every `cpu: model=` value Debian's Bochs 2.7 accepts (its cpudb, the names
# in bochs-bin after bx_generic), with the backend pvhv can use on it: "vmx"
# or "svm" where the model offers one, None where it offers neither. Models
# that offer VMX/SVM without what pvhv needs (EPT + unrestricted guest, NPT)
# are listed with their backend: pvhv refuses them with an error record.
BOCHS_CPU_MODELS = {
    "bx_generic": None, "pentium": None, "pentium_mmx": None, "amd_k6_2_chomper": None,
    "p2_klamath": None, "p3_katmai": None, "p4_willamette": None,
    "core_duo_t2400_yonah": "vmx", "atom_n270": None, "p4_prescott_celeron_336": None,
    "athlon64_clawhammer": None, "athlon64_venice": None, "turion64_tyler": "svm",
    "phenom_8650_toliman": "svm", "core2_penryn_t9600": "vmx",
    "corei5_lynnfield_750": "vmx", "corei5_arrandale_m520": "vmx",
    "corei7_sandy_bridge_2600k": "vmx", "zambezi": "svm", "trinity_apu": "svm",
    "ryzen": "svm", "corei7_ivy_bridge_3770k": "vmx", "corei7_haswell_4770": "vmx",
    "broadwell_ult": "vmx", "corei7_skylake_x": "vmx", "corei3_cnl": "vmx",
    "corei7_icelake_u": "vmx", "tigerlake": "vmx",
}
BOCHS_IPS = 80_000_000          # emulated instructions per emulated second
BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
BOCHS_VGABIOS = "/usr/share/bochs/VGABIOS-lgpl-latest"
BOCHS_DEFAULT_MEM = "512M"
BOCHS_POLL_S = 0.2              # serial file polling interval
BOCHS_EXIT_GRACE_S = 3          # after the end record, before killing Bochs
# A grub.cfg word that needs no quoting.
GRUB_PLAIN_WORD = re.compile(r"^[A-Za-z0-9_=,.:/+@%-]+$")


class RunError(Exception):
    """The run could not be started: bad options or missing files."""


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
    return (guest if guest is not None else DEFAULT_GUEST), None, True


def build_cmd(smp=DEFAULT_SMP, args="", mem=DEFAULT_MEM, iso=None, hv=None,
              guest=None, no_guest=False, cpu=DEFAULT_CPU, deterministic=False,
              emu="qemu", native=False):
    """The emulator command line as a list; raises RunError on bad options."""
    hv, guest, no_guest = native_images(native, iso, hv, guest, no_guest)
    if emu == "bochs":
        _check_bochs_options(smp, args, iso, guest, hv, no_guest, cpu, deterministic)
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
            cmd += ["-initrd", str(guest if guest is not None else DEFAULT_GUEST)]
        cmd += ["-append", args]
    cmd += ["-display", "none", "-no-reboot", "-serial", "stdio", "-monitor", "none",
            "-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT},iosize=0x04"]
    if deterministic:
        cmd += ["-accel", "tcg,thread=single", "-icount", "shift=5,sleep=off"]
    else:
        cmd += ["-accel", "tcg,thread=multi"]
    return cmd


def _check_inputs(iso, hv, guest, no_guest):
    """Fail before starting QEMU when a file it needs is missing."""
    if iso is not None:
        needed = [("ISO", iso)]
    else:
        needed = [("hypervisor", hv if hv is not None else DEFAULT_HV)]
        if not no_guest:
            needed.append(("guest", guest if guest is not None else DEFAULT_GUEST))
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


def bochs_cmd(rc_path):
    """Bochs under `script`: its term display needs a terminal."""
    return ["script", "-qfec", f"bochs -q -f {shlex.quote(str(rc_path))}", "/dev/null"]


def _grub_word(word):
    if GRUB_PLAIN_WORD.match(word):
        return word
    if "'" in word:
        raise RunError(f"--args word {word!r}: a single quote cannot be passed through grub.cfg")
    return f"'{word}'"


def make_bochs_iso(workdir, args, hv=None, guest=None, no_guest=False, native=False):
    """A GRUB ISO whose only menu entry boots hv.elf with `args` (native:
    guest.elf alone, through multiboot1)."""
    root = Path(workdir) / "iso"
    (root / "boot" / "grub").mkdir(parents=True)
    kernel, loader = ("guest.elf", "multiboot") if native else ("hv.elf", "multiboot2")
    shutil.copy(hv if hv is not None else DEFAULT_HV, root / "boot" / kernel)
    lines = ["set timeout=0", "set default=0", 'menuentry "pvhv" {',
             f"    {loader} /boot/{kernel} " + " ".join(_grub_word(w) for w in args.split())]
    if not no_guest:
        shutil.copy(guest if guest is not None else DEFAULT_GUEST, root / "boot" / "guest.elf")
        lines.append("    module2 /boot/guest.elf guest")
    lines += ["    boot", "}", ""]
    (root / "boot" / "grub" / "grub.cfg").write_text("\n".join(lines))
    iso = Path(workdir) / "pvhv.iso"
    p = subprocess.run(["grub-mkrescue", "-o", str(iso), str(root)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0 or not iso.is_file():
        raise RunError(f"grub-mkrescue failed: {p.stdout.strip()[-500:]}")
    return iso


# pvhv's own Bochs loader (boot/bochs/optrom.asm): Bochs puts the ROM, the
# hypervisor's loaded image and a boot-data block (header + multiboot1 info +
# command line + module list + guest ELF) straight into memory, so neither
# GRUB nor a disk is read. The addresses are the ROM's (keep them in step).
DEFAULT_OPTROM = REPO / "build" / "bochs-optrom.bin"
BOCHS_LOADERS = ("direct", "grub")
BOCHS_OPTROM_ADDR = 0xD0000
BOCHS_BOOTDATA_ADDR = 0x01000000
BOCHS_BOOTDATA_SIG = 0x42485650          # 'PVHB'
MB1_INFO_CMDLINE = 1 << 2
MB1_INFO_MODS = 1 << 3
MB1_INFO_LOADER_NAME = 1 << 9
MB1_INFO_SIZE = 72                      # up to and including boot_loader_name
MB1_LOADER_NAME_OFF = 64
ELF_PT_LOAD = 1
PAGE = 4096


def elf_image(path):
    """(entry, load address, bytes) of an ELF64 file as a loader would
    place it: every PT_LOAD segment at its physical address, zero-filled to
    its memory size."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise RunError(f"{path}: not an ELF64 file")
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    segs = []
    for i in range(phnum):
        ptype, _flags, off, _vaddr, paddr, filesz, memsz = struct.unpack_from(
            "<IIQQQQQ", data, phoff + i * phentsize)
        if ptype == ELF_PT_LOAD and memsz:
            segs.append((paddr, data[off:off + filesz], memsz))
    if not segs:
        raise RunError(f"{path}: no loadable segment")
    base = min(s[0] for s in segs)
    image = bytearray(max(s[0] + s[2] for s in segs) - base)
    for paddr, body, _memsz in segs:
        image[paddr - base:paddr - base + len(body)] = body
    if base + len(image) > BOCHS_BOOTDATA_ADDR:
        raise RunError(f"{path}: image reaches past {BOCHS_BOOTDATA_ADDR:#x}, "
                       "where the Bochs boot data goes")
    return entry, base, bytes(image)


def make_bochs_direct(workdir, args, hv=None, guest=None, no_guest=False):
    """The two RAM images of the direct boot: [(file, address), ...]."""
    entry, base, image = elf_image(hv if hv is not None else DEFAULT_HV)
    # Multiboot1 puts the kernel's path first (QEMU -kernel does too).
    cmdline = ("hv.elf " + args).encode() + b"\0"
    name = b"pvhv-bochs-optrom\0"
    info_at = BOCHS_BOOTDATA_ADDR + 16
    blob = bytearray(16 + MB1_INFO_SIZE)
    strings_at = info_at + MB1_INFO_SIZE
    blob += cmdline + name
    flags = MB1_INFO_CMDLINE | MB1_INFO_LOADER_NAME
    mods_count = mods_addr = 0
    if not no_guest:
        g = Path(guest if guest is not None else DEFAULT_GUEST).read_bytes()
        mod_name_at = BOCHS_BOOTDATA_ADDR + len(blob)
        blob += b"guest\0"
        blob += bytes(-len(blob) % 16)
        mods_addr = BOCHS_BOOTDATA_ADDR + len(blob)
        blob += bytes(16)
        blob += bytes(-len(blob) % PAGE)
        start = BOCHS_BOOTDATA_ADDR + len(blob)
        blob += g
        struct.pack_into("<IIII", blob, mods_addr - BOCHS_BOOTDATA_ADDR,
                         start, start + len(g), mod_name_at, 0)
        flags |= MB1_INFO_MODS
        mods_count = 1
    struct.pack_into("<III", blob, 0, BOCHS_BOOTDATA_SIG, entry, info_at)
    struct.pack_into("<IIIIIII", blob, 16, flags, 0, 0, 0, strings_at, mods_count, mods_addr)
    struct.pack_into("<I", blob, 16 + MB1_LOADER_NAME_OFF, strings_at + len(cmdline))
    hv_bin = Path(workdir) / "hv.bin"
    hv_bin.write_bytes(image)
    data_bin = Path(workdir) / "bootdata.bin"
    data_bin.write_bytes(bytes(blob))
    return [(hv_bin, base), (data_bin, BOCHS_BOOTDATA_ADDR)]


def _megs(mem):
    m = re.fullmatch(r"(\d+)([MG]?)", str(mem).strip().upper())
    if not m:
        raise RunError(f"--mem {mem}: use a size like 512M or 1G")
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)


def _panic_action(model, smp):
    """Bochs 2.7 raises a PANIC on a guest triple fault before it looks at
    the SVM SHUTDOWN intercept (cpu/exception.cc); with panic=fatal an SVM
    guest's triple fault would end the whole emulator instead of exiting to
    pvhv. Under SVM models the CPUs' panics only report, so the intercept
    happens; every other panic stays fatal (and a stuck run hits the
    timeout)."""
    if BOCHS_CPU_MODELS.get(model) != "svm":
        return "panic: action=fatal"
    return "panic: action=fatal, " + ", ".join(f"cpu{n:x}=report" for n in range(smp))


def write_bochsrc(workdir, iso, smp, mem, serial_path, model=BOCHS_CPU_MODEL,
                  ram_images=None, optrom=None, verdict_path=None):
    """The bochsrc: boot `iso` through GRUB, or (iso None) the direct path,
    `optrom` plus `ram_images` [(file, address), ...]."""
    rc = Path(workdir) / "bochsrc"
    if iso is not None:
        boot = [f"ata0-master: type=cdrom, path={iso}, status=inserted", "boot: cdrom"]
    else:
        # The ROM takes over during POST: no boot device is ever read.
        boot = [f"optromimage1: file={optrom}, address={BOCHS_OPTROM_ADDR:#x}"]
        boot += [f"optramimage{i + 1}: file={f}, address={a:#x}"
                 for i, (f, a) in enumerate(ram_images)]
        boot += ["boot: floppy"]
    rc.write_text("\n".join([
        f"cpu: model={model}, count={smp}, ips={BOCHS_IPS}, reset_on_triple_fault=0",
        f"megs: {_megs(mem)}",
        # fastboot: no F12 boot-menu wait (seconds of emulated time).
        f"romimage: file={BOCHS_BIOS}, options=fastboot",
        f"vgaromimage: file={BOCHS_VGABIOS}",
        *boot,
        f"com1: enabled=1, mode=file, dev={serial_path}",
        f"com2: enabled=1, mode=file, dev={verdict_path or Path(workdir) / 'com2.log'}",
        "display_library: term",
        "clock: sync=none, time0=1",
        f"log: {Path(workdir) / 'bochs.log'}",
        _panic_action(model, smp),
        "error: action=report",
        "",
    ]))
    return rc


def _end_seen(text):
    """True once a whole `end` record has arrived. Its line may lack the
    newline: Bochs exits on the `Shutdown` write before its UART has sent
    the last characters."""
    return pvhv_log.last(pvhv_log.parse(text.replace("\r\n", "\n")), "end") is not None


def judge_bochs(timed_out, timeout, records, verdict):
    """(passed, reason): the end record on COM2 (`verdict`, records parsed
    from the hypervisor-only port) is the verdict; COM1's must agree."""
    end = pvhv_log.last(verdict, "end")
    if end is None:
        return False, (f"timeout after {timeout:g} s without a verdict (end record on COM2)"
                       if timed_out else "Bochs exited without a verdict (end record on COM2)")
    ends = pvhv_log.of_kind(records, "end")
    if len(pvhv_log.of_kind(verdict, "end")) != 1 or len(ends) != 1 or ends[0] != end:
        return False, (f"COM1 end records {ends} do not match the verdict on COM2 {end}")
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
        verdict_file = Path(workdir) / "com2.log"
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
    # Native: no hypervisor writes COM2; the guest is the only kernel there.
    verdict = records if native else pvhv_log.parse(verdict_text.replace("\r\n", "\n"))
    passed, reason = judge_bochs(timed_out, timeout, records, verdict)
    return Result(exit_code=0 if passed else 1, passed=passed, log_text=log_text,
                  records=records, reason=reason, qemu_status=None, timed_out=timed_out,
                  cmd=cmd, stderr=stderr_text)


def run(smp=DEFAULT_SMP, args="", timeout=DEFAULT_TIMEOUT, mem=DEFAULT_MEM,
        iso=None, emu="qemu", log=None, quiet=True, hv=None, guest=None,
        no_guest=False, cpu=DEFAULT_CPU, deterministic=False, out=None, native=False,
        loader="direct"):
    """Boot once and return a Result. Raises RunError if it cannot start.

    `out` is a binary stream for the live console (default sys.stdout's
    buffer); nothing is streamed when `quiet`. `log` is a file path that
    receives the raw serial output as it arrives. emu="bochs" goes to
    run_bochs (Intel VMX), judged by the end record alone.
    """
    if emu == "bochs":
        return run_bochs(smp=smp, args=args, timeout=timeout,
                         mem=BOCHS_DEFAULT_MEM if mem == DEFAULT_MEM else mem, iso=iso,
                         log=log, quiet=quiet, hv=hv, guest=guest, no_guest=no_guest, cpu=cpu,
                         deterministic=deterministic, out=out, native=native, loader=loader)
    if loader != "direct":
        raise RunError("--loader is a Bochs option (QEMU loads multiboot kernels itself)")
    hv, guest, no_guest = native_images(native, iso, hv, guest, no_guest)
    cmd = build_cmd(smp=smp, args=args, mem=mem, iso=iso, hv=hv, guest=guest,
                    no_guest=no_guest, cpu=cpu, deterministic=deterministic, emu=emu)
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
                  deterministic=opts.deterministic, emu=opts.emu, native=opts.native)
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
