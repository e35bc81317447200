"""Tests of tools/pvhv_run.py without the real hypervisor: the command line
it builds, its pass/fail judgement against a fake QEMU (PVHV_QEMU pointing at
fixtures/fake_qemu.sh), the timeout path, and one real QEMU boot of a
20-line multiboot stand-in (fixtures/fake_hv.asm)."""

import io
import shutil
import subprocess
import sys
import time

import pytest

import pvhv_log
import pvhv_run


@pytest.fixture
def images(tmp_path):
    """Placeholder hv/guest files: the fake QEMU never reads them."""
    hv, guest = tmp_path / "hv.elf", tmp_path / "guest.elf"
    hv.write_bytes(b"\x7fELF")
    guest.write_bytes(b"\x7fELF")
    return {"hv": hv, "guest": guest}


@pytest.fixture
def fake_qemu(monkeypatch, fixtures, tmp_path):
    """Point PVHV_QEMU at the fake; return a setter for its mode."""
    monkeypatch.setenv("PVHV_QEMU", str(fixtures / "fake_qemu.sh"))
    monkeypatch.setenv("FAKE_QEMU_ARGV", str(tmp_path / "argv"))

    def mode(name):
        monkeypatch.setenv("FAKE_QEMU_MODE", name)
    return mode


def cmd_of(**kw):
    return pvhv_run.build_cmd(**kw)


# --- the command line --------------------------------------------------

def test_cmd_default_kernel_boot(monkeypatch):
    monkeypatch.delenv("PVHV_QEMU", raising=False)
    cmd = cmd_of(smp=2, args="vms=2 vcpus=2", hv="h.elf", guest="g.elf")
    assert cmd == ["qemu-system-x86_64", "-machine", "pc", "-cpu", "qemu64,+svm,+npt",
                   "-smp", "2", "-m", "512M", "-kernel", "h.elf", "-initrd", "g.elf",
                   "-append", "vms=2 vcpus=2", "-display", "none", "-no-reboot",
                   "-serial", "stdio", "-monitor", "none",
                   "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                   "-accel", "tcg,thread=multi"]


def test_cmd_deterministic_iso_cpu_mem_no_guest():
    det = cmd_of(deterministic=True, mem="1G", cpu="qemu64,-svm")
    assert det[-4:] == ["-accel", "tcg,thread=single", "-icount", "shift=5,sleep=off"]
    assert "1G" in det and "qemu64,-svm" in det
    iso = cmd_of(iso="x.iso")
    assert "-cdrom" in iso and "x.iso" in iso
    assert not {"-kernel", "-initrd", "-append"} & set(iso)
    no_guest = cmd_of(no_guest=True, hv="h.elf")
    assert "-initrd" not in no_guest and "-kernel" in no_guest


def test_cmd_tcg_threading():
    assert cmd_of(tcg="single")[-2:] == ["-accel", "tcg,thread=single"]
    assert cmd_of(tcg="multi")[-2:] == ["-accel", "tcg,thread=multi"]
    # --deterministic is single-threaded whatever --tcg says.
    assert "-icount" in cmd_of(tcg="multi", deterministic=True)


@pytest.mark.parametrize("kw, message", [
    (dict(tcg="none"), "--tcg none: unknown TCG threading .allowed: multi, single"),
    (dict(emu="bochs", tcg="single"), "--tcg is a QEMU option"),
    (dict(emu="bochs", cpu="host"), "--cpu host: not a Bochs 2.7 CPU model .known: .*ryzen"),
    (dict(emu="bochs", deterministic=True), "--deterministic is a QEMU option"),
    (dict(emu="vbox"), "unknown emulator"),
    (dict(smp=0), "--smp 0"),
    (dict(iso="x.iso", args="vms=1"), "--args cannot be used with --iso"),
    (dict(no_guest=True, guest="g.elf"), "contradict"),
])
def test_cmd_refuses_bad_options(kw, message):
    with pytest.raises(pvhv_run.RunError, match=message):
        cmd_of(**kw)


def test_cmd_native_boots_the_guest_as_the_kernel(tmp_path):
    nat = cmd_of(native=True, guest="g.elf", args="task=smp")
    assert nat[nat.index("-kernel") + 1] == "g.elf" and "-initrd" not in nat
    assert nat[nat.index("-append") + 1] == "task=smp"
    for kw, message in ((dict(iso="x.iso"), "--native cannot be used with --iso"),
                        (dict(hv="h.elf"), "boots the guest alone"),
                        (dict(no_guest=True), "boots the guest alone")):
        with pytest.raises(pvhv_run.RunError, match=message):
            cmd_of(native=True, **kw)
    if pvhv_run.shutil.which("grub-mkrescue"):
        pvhv_run.make_bochs_iso(tmp_path, "task=smp", hv="/dev/null", no_guest=True, native=True)
        cfg = (tmp_path / "iso" / "boot" / "grub" / "grub.cfg").read_text()
        assert "    multiboot /boot/guest.elf task=smp" in cfg and "module2" not in cfg


def test_bochs_cpu_model_goes_into_the_bochsrc(tmp_path):
    """--cpu names the Bochs model; QEMU's default means Bochs' default."""
    assert pvhv_run.bochs_model(pvhv_run.DEFAULT_CPU) == pvhv_run.BOCHS_CPU_MODEL
    assert pvhv_run.BOCHS_CPU_MODELS["ryzen"] == "svm"
    assert pvhv_run.BOCHS_CPU_MODELS[pvhv_run.BOCHS_CPU_MODEL] == "vmx"
    rc = pvhv_run.write_bochsrc(tmp_path, "x.iso", 2, "64M", tmp_path / "com1",
                                pvhv_run.bochs_model("zambezi"))
    assert "cpu: model=zambezi, count=2," in rc.read_text()


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, str(pvhv_run.__file__), *args],
                          capture_output=True, text=True, env=env)


def test_cli_print_cmd():
    res = run_cli("--print-cmd", "--smp", "4", "--args", "vms=2 vcpus=4", "--hv", "h.elf",
                  "--guest", "g.elf")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith(
        "-smp 4 -m 512M -kernel h.elf -initrd g.elf -append 'vms=2 vcpus=4' -display none "
        "-no-reboot -serial stdio -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x04 "
        "-accel tcg,thread=multi")


def test_cli_missing_image_is_one_clear_error(tmp_path):
    res = run_cli("--hv", str(tmp_path / "nope.elf"))
    assert res.returncode == 1
    assert res.stderr.strip() == f"pvhv_run: error: hypervisor image {tmp_path / 'nope.elf'} not found (build it first: make)"


def test_cli_bochs_print_cmd():
    res = run_cli("--emu", "bochs", "--print-cmd")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().startswith("script -qfec 'bochs -q -f ")


def test_bochs_judged_by_the_verdict_on_lpt1():
    """Bochs: the end record on LPT1 (a port no guest reaches) is the
    verdict; COM1 must carry the same one and no other."""
    passed = pvhv_log.parse('@pvhv {"kind":"end","status":"pass","reason":"ok"}\n')
    failed = pvhv_log.parse('@pvhv {"kind":"end","status":"fail","reason":"vm 0 killed"}\n')
    assert pvhv_run.judge_bochs(False, 60, passed, passed) == (True, "pass: ok")
    assert pvhv_run.judge_bochs(False, 60, failed, failed)[0] is False
    # A pass on COM1 without the verdict on LPT1 is not a pass.
    assert pvhv_run.judge_bochs(False, 60, passed, [])[0] is False
    assert pvhv_run.judge_bochs(False, 60, passed, failed)[0] is False
    assert pvhv_run.judge_bochs(False, 60, failed, passed)[0] is False
    assert pvhv_run.judge_bochs(False, 60, passed + failed, failed)[0] is False
    assert pvhv_run.judge_bochs(True, 60, [], [])[1] == \
        "timeout after 60 s without a verdict (end record on LPT1)"
    assert pvhv_run.judge_bochs(False, 60, [], [])[1] == \
        "Bochs exited without a verdict (end record on LPT1)"


def test_bochs_forged_com1_line_is_no_verdict():
    """The forgery of issue 13 item 5, as Bochs' COM1 would carry it."""
    com1 = pvhv_log.parse('[vm1.vcpu0] @pvhv {"kind":"end","status":"pass","reason":"forged"}\n')
    assert com1 == []
    assert pvhv_run.judge_bochs(True, 60, com1, [])[0] is False


def test_bochs_end_record_seen_without_newline():
    assert pvhv_run._end_seen('x\n@pvhv {"kind":"end","status":"pass"}')
    assert not pvhv_run._end_seen('@pvhv {"kind":"end","sta')


def test_bochs_grub_words_are_quoted():
    assert pvhv_run._grub_word("task=smp,lockstress") == "task=smp,lockstress"
    assert pvhv_run._grub_word("a;b") == "'a;b'"
    with pytest.raises(pvhv_run.RunError, match="single quote"):
        pvhv_run._grub_word("a'b")


# --- judging a run (fake QEMU) --------------------------------------------

@pytest.mark.parametrize("mode, passed, status, reason", [
    ("pass", True, 33, "pass: all VMs done"),
    ("fail", False, 35, "run failed: end status 'fail': vm 0 killed"),
    ("mismatch", False, 35, "end record says pass but QEMU exit status is 35 (fail code)"),
    ("passfail", False, 33, "run failed: end status 'fail': vm 0 killed"),
    ("noend", False, 33, "no end record (QEMU exit status 33)"),
    ("twoends", False, 33, "run failed: end status 'fail': vm 0 killed"),   # the last end counts
    ("reset", False, 0, "QEMU exited with status 0 without isa-debug-exit"),
    ("error", False, 1, "QEMU error: exit status 1: qemu-system-x86_64: -cpu bogus"),
])
def test_run_judgement(fake_qemu, images, mode, passed, status, reason):
    fake_qemu(mode)
    res = pvhv_run.run(smp=1, args="vms=1", timeout=30, **images)
    assert res.passed is passed
    assert res.exit_code == (0 if passed else 1)
    assert res.qemu_status == status
    assert res.reason.startswith(reason), res.reason
    assert res.records[0]["kind"] == "run"


def test_run_passes_argv_and_streams_and_logs(fake_qemu, images, tmp_path):
    fake_qemu("pass")
    out = io.BytesIO()
    log = tmp_path / "serial.log"
    res = pvhv_run.run(smp=3, args="vms=1 vcpus=1", timeout=30, quiet=False, out=out,
                       log=str(log), **images)
    assert res.passed
    argv = (tmp_path / "argv").read_text().splitlines()
    assert argv[argv.index("-smp") + 1] == "3"
    assert argv[argv.index("-append") + 1] == "vms=1 vcpus=1"
    assert b"fake qemu booting" in out.getvalue()
    assert log.read_bytes() == out.getvalue()
    assert "\r" not in res.log_text           # CRLF from the serial port normalised
    assert [r["kind"] for r in res.records] == ["run", "vm", "end"]


def test_run_quiet_streams_nothing(fake_qemu, images):
    fake_qemu("pass")
    out = io.BytesIO()
    assert pvhv_run.run(timeout=30, quiet=True, out=out, **images).passed
    assert out.getvalue() == b""


HANG_TIMEOUT_S = 10 # the real-QEMU hang case below
CHILD_GONE_S = 10   # init reaps an orphan at once; 10 s covers a loaded host


def _alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_run_timeout_kills_qemu_and_its_children(fake_qemu, images, tmp_path, monkeypatch):
    """The fake's `sleep` child writes its pid; after the timeout kill it
    must be gone too (the whole process group is ended)."""
    monkeypatch.setenv("FAKE_QEMU_CHILD_PID", str(tmp_path / "child.pid"))
    fake_qemu("hang")
    res = pvhv_run.run(timeout=1, **images)
    assert not res.passed and res.timed_out and res.exit_code == 1
    assert res.qemu_status is None
    assert res.reason == "timeout after 1 s"
    assert "[vm0.vcpu0] spinning" in res.log_text   # output before the kill is kept
    pid = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + CHILD_GONE_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), f"the emulator's child {pid} survived the timeout kill"


def test_run_cannot_start_emulator(monkeypatch, images, tmp_path):
    monkeypatch.setenv("PVHV_QEMU", str(tmp_path / "no-such-qemu"))
    with pytest.raises(pvhv_run.RunError, match="cannot start"):
        pvhv_run.run(timeout=5, **images)


def test_cli_exit_codes_follow_judgement(fake_qemu, images):
    for mode, code in (("pass", 0), ("fail", 1), ("mismatch", 1)):
        fake_qemu(mode)
        res = run_cli("--quiet", "--hv", str(images["hv"]), "--guest", str(images["guest"]),
                      "--timeout", "30")
        assert res.returncode == code, (mode, res.stderr)
        assert res.stdout == ""
        assert res.stderr.startswith("pvhv_run: PASS" if code == 0 else "pvhv_run: FAIL")


def test_cli_timeout_message(fake_qemu, images):
    fake_qemu("hang")
    res = run_cli("--quiet", "--hv", str(images["hv"]), "--guest", str(images["guest"]),
                  "--timeout", "1")
    assert res.returncode == 1 and "timeout after 1 s" in res.stderr


# --- one real QEMU boot ------------------------------------------------------

@pytest.mark.parametrize("defines, passed, status", [
    (["-DPASS=1", "-DHANG=0"], True, 33),
    (["-DPASS=0", "-DHANG=0"], False, 35),
    (["-DPASS=1", "-DHANG=1"], False, None),
])
def test_real_qemu_with_fake_multiboot_kernel(monkeypatch, fixtures, tmp_path, defines, passed, status):
    monkeypatch.delenv("PVHV_QEMU", raising=False)
    for tool in ("nasm", "qemu-system-x86_64"):
        assert shutil.which(tool), f"{tool} missing: run tools/deps.sh"
    kernel = tmp_path / "fake_hv.bin"
    subprocess.run(["nasm", "-f", "bin", *defines, str(fixtures / "fake_hv.asm"), "-o", str(kernel)],
                   check=True)
    # The stand-in prints its records within a second of QEMU starting; the
    # hanging one is killed at HANG_TIMEOUT_S, long enough that even a loaded
    # 2-core host has printed the run record by then (it is checked too).
    res = pvhv_run.run(smp=1, hv=kernel, no_guest=True,
                       timeout=HANG_TIMEOUT_S if status is None else 30)
    assert res.passed is passed, res.reason
    assert res.qemu_status == status
    assert res.timed_out is (status is None)
    run = pvhv_run.pvhv_log.first(res.records, "run")
    assert run is not None, f"no run record within the timeout: {res.log_text!r}"
    assert run["backend"] == "svm"
