"""Issue 18: the PLE knobs change what they should. Under Bochs' Intel model
PAUSE-loop exiting is emulated as the SDM has it (a PAUSE more than PLE_Gap
TSC cycles after the previous one starts a new loop; a loop that lasts more
than PLE_Window cycles exits), so the knobs can be checked as relations on
one shape: 2 vCPUs of one VM on 2 pCPUs spinning on a plain ticket lock.
Two bounds are forced rather than rare: a 10^9-cycle window is longer than
the whole run (400 ms at Bochs' 80 MHz TSC is 3.2 * 10^7 cycles), and with
ple_gap=0 every PAUSE after the first starts a new loop, so neither can
ever exit. Measured (Bochs-VMX, main at landing): 28756 exits at window 64,
1727 at 4096 (both ple_grow=0), 14 at 4096 with the default ple_grow=2."""

import pytest

pytestmark = pytest.mark.bochs

SHAPE = "vms=1 vcpus=2 task=lockstress lock=ticket ple=on duration=400 mem=8M"
HUGE_WINDOW = 10 ** 9


def ple_run(shared_boot, extra):
    run = shared_boot(f"{SHAPE} {extra}", smp=2, backend="vmx")
    run.assert_passed(smp=2, vms=1, vcpus=2)
    assert run.one("sched")["ple_hw"] is True, run.context()
    for rec in run.kind("lock_vm"):
        assert rec["violations"] == 0 and rec["acquisitions"] > 0, run.context()
    return run


def ple_exits(run):
    return sum(r["ple_exits"] for r in run.kind("hv_vcpu"))


def window_peak(run):
    return max(r["ple_window_peak"] for r in run.kind("hv_vcpu"))


def test_smaller_window_more_exits(shared_boot):
    """A fixed window (ple_grow=0): 64 cycles exits more often than 4096,
    and 4096 does exit, so the comparison is not between zeros."""
    small = ple_run(shared_boot, "ple_window=64 ple_grow=0")
    base = ple_run(shared_boot, "ple_window=4096 ple_grow=0")
    assert ple_exits(small) > ple_exits(base) > 0, \
        f"{ple_exits(small)} exits at window 64, {ple_exits(base)} at 4096"
    assert window_peak(small) == 64 and window_peak(base) == 4096, "grow=0 moved the window"


def test_window_longer_than_the_run_never_exits(shared_boot):
    run = ple_run(shared_boot, f"ple_window={HUGE_WINDOW}")
    assert ple_exits(run) == 0, run.context()
    assert sum(r["exits"].get("pause", 0) for r in run.kind("hv_vcpu")) == 0, run.context()


def test_gap_zero_never_exits(shared_boot):
    """ple_gap=0: no two PAUSEs of a spin loop are within the gap, so no
    loop is ever seen; the default gap with the same window does exit
    (test_smaller_window_more_exits' 4096 run)."""
    run = ple_run(shared_boot, "ple_gap=0 ple_window=4096 ple_grow=0")
    assert ple_exits(run) == 0, run.context()
    assert ple_exits(ple_run(shared_boot, "ple_window=4096 ple_grow=0")) > 0


def test_grow_widens_the_window_and_cuts_exits(shared_boot):
    """ple_grow=2 (the default, KVM's) doubles a vCPU's window at every
    exit: the peak passes the base and there are fewer exits than with the
    window held at the base."""
    grow = ple_run(shared_boot, "ple_window=4096")
    fixed = ple_run(shared_boot, "ple_window=4096 ple_grow=0")
    assert window_peak(grow) > 4096, run_peak_msg(grow)
    assert ple_exits(grow) < ple_exits(fixed), \
        f"{ple_exits(grow)} exits growing, {ple_exits(fixed)} fixed"


def run_peak_msg(run):
    return f"window peak {window_peak(run)}\n{run.context()}"
