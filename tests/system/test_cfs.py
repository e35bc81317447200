"""Issue 12: sched=cfs, the default policy, under Bochs (the measuring
platform, VMX with the preemption timer ending each pCPU's own ticks) at 2x
with pv ticket locks: every VM finishes with mutual exclusion intact,
halted waiters are kicked awake, and the cfs machinery that exists only
under over-commit was used: wake-ups placed on queues with lag-based
preemption or pulled by idle pCPUs, and ticks that preempt."""

import pytest

pytestmark = [pytest.mark.sched, pytest.mark.bochs]

SMP = 2


def test_cfs_2x_pvticket_bochs(backend_boot):
    run = backend_boot("vmx", smp=SMP, args="vms=2 vcpus=2 task=lockstress lock=pvticket "
                                            "spin_threshold=512 duration=400 mem=8M")
    run.assert_passed(smp=SMP, vms=2, vcpus=2)
    cfg = run.records[0]["config"]
    assert cfg["sched"] == "cfs", run.context()            # the default
    assert (cfg["cfs_latency"], cfg["cfs_min_gran"], cfg["cfs_wakeup_gran"]) == \
        (6000, 750, 1000), run.context()
    sched = run.one("sched")
    assert sched["policy"] == "cfs", run.context()
    assert sched["wakeup_preemptions"] + sched["idle_pulls"] + sched["balance_pulls"] > 0, \
        run.context()
    assert all(r["violations"] == 0 and r["counter_mismatches"] == 0
               for r in run.kind("lock_vm")), run.context()
    hv = run.kind("hv_vcpu")
    assert sum(r["kicks_received"] for r in hv) > 0, run.context()
    assert sum(r["preemptions"] for r in hv) > 0, run.context()


def test_cfs_2x_ticket_holders_preempted_bochs(backend_boot):
    """Plain ticket locks at 2x under cfs: a critical section of 200000
    work iterations (about 20 ms of Bochs time) outlasts a vCPU's share of
    the period (6 ms at 2 pCPUs) plus a tick, so a holder with a sibling on
    its queue is preempted inside it: lock-holder preemptions are forced,
    not left to chance, and the guest's count matches the hypervisor's."""
    run = backend_boot("vmx", smp=SMP, args="vms=2 vcpus=2 task=lockstress lock=ticket "
                                            "cs=200000 think=0 duration=400 mem=8M")
    run.assert_passed(smp=SMP, vms=2, vcpus=2)
    assert run.records[0]["config"]["sched"] == "cfs", run.context()
    lock_vm = run.kind("lock_vm")
    assert all(r["violations"] == 0 and r["acquisitions"] > 0 for r in lock_vm), run.context()
    hv_lhp = sum(r["lhp"] for r in run.kind("vm"))
    assert hv_lhp > 0, run.context()
    assert hv_lhp == sum(r["lhp"] for r in lock_vm), run.context()
    assert all(r["lhp_sections"] <= r["lhp"] for r in lock_vm), run.context()
