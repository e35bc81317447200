"""Issue 12 item 4: lock_grace=N. A vCPU whose lockinfo page says it holds a
lock when its slice ends runs N us longer, once per stay on its pCPU. With
long critical sections the holder is nearly always inside one, so slice
ends are deferred; with lock_grace=0 (the default) never."""

import pytest

pytestmark = pytest.mark.sched

ARGS = "vms=2 vcpus=2 task=lockstress lock=ticket cs=20000 think=10 duration=400"


@pytest.mark.parametrize("grace", [0, 500])
def test_lock_grace_defers_slice_ends_of_holders(boot, grace):
    run = boot(smp=2, args=f"{ARGS} lock_grace={grace}")
    run.assert_passed(smp=2, vms=2, vcpus=2)
    assert run.records[0]["config"]["lock_grace"] == grace, run.context()
    hv = run.kind("hv_vcpu")
    graces = sum(r["lock_graces"] for r in hv)
    assert all(r["violations"] == 0 for r in run.kind("lock_vm")), run.context()
    if grace:
        assert graces > 0, run.context()
        # Bounded: at most one grace per stay on a pCPU.
        assert all(r["lock_graces"] <= r["switches"] for r in hv), run.context()
    else:
        assert graces == 0, run.context()
