"""Issue 13 item 2 (first part): task=fuzz in one VM (vm1.task=fuzz) next to
a VM running lockstress and tlbstress. Whatever the fuzzer does, the
hypervisor ends the run with an end record, the fuzzed VM finishes or is
killed with a reason, and the other VM passes with mutual exclusion intact
and no stale translation."""

import pytest

pytestmark = pytest.mark.crash


@pytest.mark.parametrize("seed", [1, 2])
def test_fuzzed_vm_next_to_stress(boot, seed):
    run = boot(smp=2, args=f"vms=2 vcpus=2 task=lockstress,tlbstress duration=300 seed={seed} "
                           "vm1.task=fuzz vm1.fuzz_ops=3000")
    assert not run.timed_out, run.context()
    run.assert_framed()
    vms = run.vms()
    assert sorted(vms) == [0, 1], run.context()
    assert vms[0]["state"] == "done" and vms[0]["guest_status"] == 0, run.context()
    assert vms[1]["state"] in ("done", "killed") and vms[1]["reason"], run.context()
    locks = [r for r in run.kind("lock_vm") if r["vm"] == 0]
    assert locks and all(r["violations"] == 0 and r["counter_mismatches"] == 0
                         for r in locks), run.context()
    tlb = [r for r in run.kind("tlb_vm") if r["vm"] == 0]
    assert tlb and all(r["stale_reads"] == 0 for r in tlb), run.context()
    fuzz = run.kind("fuzz")
    if vms[1]["state"] == "done":
        assert len(fuzz) == 1 and fuzz[0]["ops"] == 3000, run.context()
        assert fuzz[0]["refused"] > 0 and fuzz[0]["msr_faults"] > 0, run.context()
