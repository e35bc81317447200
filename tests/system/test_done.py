"""done= (README, options table and "On bare metal"): what pvhv does after
the end record. done=exit (the default) leaves through QEMU's isa-debug-exit
with the pass or fail code; done=halt writes no exit port, so the emulator
stays up with the machine halted; done=reboot resets through the keyboard
controller, which QEMU's -no-reboot turns into exit status 0. QEMU only:
the code is the same on every backend, and only QEMU's exit status tells
an exit port from a reset (Bochs' exit status means nothing, DESIGN.md §1).
"""

import subprocess
import threading
import time

import pytest

from conftest import TIMEOUT_S, pvhv_log, pvhv_run

pytestmark = pytest.mark.boot

# After the halt line, how long QEMU must stay up. done=exit's isa-debug-exit
# write ends QEMU within milliseconds of that line, so 3 s is a wide margin
# even with the host loaded; the test fails only if QEMU exits in it.
HALT_HOLD_S = 3
HALT_LINE = "pvhv: run finished (pass); halting"
QUICK = "vms=1 vcpus=1"


@pytest.mark.parametrize("args, status, end_status", [
    pytest.param(QUICK, pvhv_run.STATUS_PASS, "pass", id="default-pass"),
    pytest.param(f"{QUICK} done=exit", pvhv_run.STATUS_PASS, "pass", id="exit-pass"),
    pytest.param("vms=2 vcpus=1 crash=1:triple done=exit", pvhv_run.STATUS_FAIL, "fail",
                 id="exit-fail"),
])
def test_done_exit_leaves_through_isa_debug_exit(boot, args, status, end_status):
    run = boot(smp=1 if "vms=1" in args else 2, args=args)
    assert not run.timed_out, run.context()
    run.assert_framed()
    assert run.qemu_status == status, run.context()
    assert run.records[-1]["status"] == end_status, run.context()
    assert run.passed == (end_status == "pass"), run.context()


def test_done_halt_keeps_the_emulator_running(tmp_path):
    """The end record arrives, pvhv says it halts, and QEMU is still there
    HALT_HOLD_S later: no exit port was written (before the fix done=halt
    exited exactly like done=exit)."""
    cmd = pvhv_run.build_cmd(smp=1, args=f"{QUICK} done=halt")
    out = []
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    halted = threading.Event()

    def pump():
        for raw in proc.stdout:
            out.append(raw.decode("utf-8", "replace").replace("\r\n", "\n"))
            if HALT_LINE in out[-1]:
                halted.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        # Bounded like every boot (conftest TIMEOUT_S); an early exit is
        # seen at once, not at the deadline.
        deadline = time.monotonic() + TIMEOUT_S
        while not halted.is_set() and proc.poll() is None and time.monotonic() < deadline:
            halted.wait(0.2)
        log = "".join(out)
        assert halted.is_set(), (f"no {HALT_LINE!r} (QEMU status {proc.poll()})\n"
                                 + log[-3000:])
        time.sleep(HALT_HOLD_S)
        assert proc.poll() is None, (f"QEMU exited with status {proc.returncode} after "
                                     f"done=halt\n" + log[-3000:])
    finally:
        pvhv_run._kill_group(proc)
        reader.join(timeout=pvhv_run.KILL_GRACE_S)
    (tmp_path / "serial.log").write_text("".join(out))
    records = pvhv_log.parse("".join(out))
    ends = pvhv_log.of_kind(records, "end")
    assert len(ends) == 1 and ends[0]["status"] == "pass", "".join(out)[-3000:]


def test_done_reboot_resets_the_machine(boot):
    """QEMU runs with -no-reboot, so a reset ends it with status 0, which
    only the keyboard-controller reset can give here (isa-debug-exit gives
    33 or 35); the report came first and is complete."""
    run = boot(smp=1, args=f"{QUICK} done=reboot")
    assert not run.timed_out, run.context()
    run.assert_framed()
    assert run.qemu_status == 0, run.context()
    assert run.records[-1]["status"] == "pass", run.context()
    assert "pvhv: run finished (pass); resetting" in run.log_text, run.context()
    # pvhv_run judges by isa-debug-exit, so it calls this run failed and says why.
    assert not run.passed and "status 0 without isa-debug-exit" in run.reason, run.context()
