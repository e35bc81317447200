"""Issue 5: tlbstress with native and pv remote TLB flushes, at 1x and 2x
over-commit on 2 pCPUs. No reader may ever see a stale translation; under 2x
the pv flush must leave preempted vCPUs to the hypervisor, and every
FLUSH_TLB a guest set must be exactly one flush-on-entry the hypervisor did.

QEMU TCG flushes its software TLB at every world switch (DESIGN.md §6), so a
missed deferred flush cannot show up as a stale read here; the accounting
checks (guest deferred == hypervisor flushes on entry) are what catch a lost
or extra flush under QEMU."""

import pytest

DURATION = 1000
SMP = 2
VCPUS = 2

CONFIGS = [
    pytest.param("native", 1, id="native-1vm-2vcpus-on-2pcpus"),
    pytest.param("native", 2, id="native-2vms-2vcpus-on-2pcpus"),
    pytest.param("pv", 1, id="pv-1vm-2vcpus-on-2pcpus"),
]


def tlbstress(boot, tlb, vms, vcpus=VCPUS, extra="", task="tlbstress"):
    run = boot(smp=SMP, args=f"vms={vms} vcpus={vcpus} task={task} tlb={tlb} "
                             f"duration={DURATION} {extra}")
    run.assert_passed(smp=SMP, vms=vms, vcpus=vcpus)
    return run


def per_vm_sum(records, field):
    sums = {}
    for r in records:
        sums[r["vm"]] = sums.get(r["vm"], 0) + r[field]
    return sums


def check_no_stale(run, tlb, vms, vcpus=VCPUS, writers=1):
    """Every VM and vCPU reported, zero stale reads, writers flushed, readers
    read, and every shootdown's targets were either IPI'd or skipped."""
    assert run.records[0]["config"]["tlb"] == tlb, run.context()
    per_vm = run.index("tlb_vm", ("vm",))
    assert set(per_vm) == {(vm,) for vm in range(vms)}, run.context()
    per_vcpu = run.index("tlb_vcpu", ("vm", "vcpu"))
    assert set(per_vcpu) == {(vm, v) for vm in range(vms) for v in range(vcpus)}, run.context()
    for (vm,), rec in per_vm.items():
        # tlb=pv would say "native" if pvhv lacked steal time / PV_TLB_FLUSH.
        assert rec["tlb"] == tlb and rec["tlb_asked"] == tlb, run.context()
        assert rec["stale_reads"] == 0, f"vm {vm}: {rec}\n{run.context()}"
        assert rec["shootdowns"] > 0 and rec["reads"] > 0, run.context()
        assert rec["latency"]["count"] == rec["shootdowns"], run.context()
        assert rec["ipis_sent"] + rec["targets_skipped"] == rec["shootdowns"] * (vcpus - 1), \
            run.context()
        if tlb == "native":
            assert rec["targets_skipped"] == 0 and rec["deferred_flushes"] == 0, run.context()
        # Each flush IPI runs the target's handler once: a lost one would
        # hang its sender, a doubled injection shows here (QEMU 7.2's VMRUN
        # delivered one interrupt twice before hv/svm/svm_exit.c forced an
        # exit after it). Under pv a handed-over target's late handler may
        # still be to come when the counts are taken.
        irqs = sum(r["flush_irqs"] for (m, _), r in per_vcpu.items() if m == vm)
        late = rec["handed_over"] if tlb == "pv" else 0
        assert rec["ipis_sent"] - late <= irqs <= rec["ipis_sent"], \
            f"vm {vm}: {irqs} flush IPIs handled for {rec['ipis_sent']} sent\n{run.context()}"
    for (vm, v), rec in per_vcpu.items():
        assert rec["stale_reads"] == 0, f"vm {vm} vcpu {v}: {rec}\n{run.context()}"
        if v < writers:
            assert rec["shootdowns"] > 0, run.context()
        else:
            assert rec["reads"] > 0 and rec["shootdowns"] == 0, run.context()


def check_deferred_flushes_add_up(run):
    """Per VM and per vCPU: the FLUSH_TLB bits the guests set are exactly the
    flushes the hypervisor did on entry."""
    hv = run.kind("hv_vcpu")
    assert all("tlb_flushes_on_entry" in r for r in hv), run.context()
    guest_vm = per_vm_sum(run.kind("tlb_vcpu"), "deferred_flushes")
    hv_vm = per_vm_sum(hv, "tlb_flushes_on_entry")
    assert guest_vm == hv_vm, f"guest deferred {guest_vm} != hypervisor {hv_vm}\n{run.context()}"
    received = {(r["vm"], r["vcpu"]): r["deferred_flushes_received"] for r in run.kind("tlb_vcpu")}
    on_entry = {(r["vm"], r["vcpu"]): r["tlb_flushes_on_entry"] for r in hv}
    assert received == on_entry, run.context()


@pytest.mark.parametrize("tlb, vms", CONFIGS)
def test_tlbstress_no_stale_reads(boot, tlb, vms):
    """Every VM done, zero stale reads, the flush counts are consistent."""
    run = tlbstress(boot, tlb, vms)
    check_no_stale(run, tlb, vms)
    # Every flush IPI injected under QEMU took the workaround's exit.
    assert "qemu_inject_exit" in run.records[0]["virt_features"], run.context()
    assert sum(r["inject_exits"] for r in run.kind("hv_vcpu")) > 0, run.context()
    if tlb == "pv":
        check_deferred_flushes_add_up(run)


def test_pv_overcommit_skips_preempted_and_flushes_add_up(boot):
    """At 2x (2 VMs x 2 vCPUs on 2 pCPUs) pv leaves preempted targets to the
    hypervisor, and the deferred flushes match its flushes-on-entry."""
    run = tlbstress(boot, "pv", vms=2)
    check_no_stale(run, "pv", vms=2)
    vm_recs = run.kind("tlb_vm")
    assert sum(r["targets_skipped"] for r in vm_recs) > 0, run.context()
    assert sum(r["deferred_flushes"] for r in vm_recs) > 0, run.context()
    check_deferred_flushes_add_up(run)
    # Steal time is registered on every vCPU, and over-commit steals.
    steal = run.index("steal", ("vm", "vcpu"))
    assert set(steal) == {(vm, v) for vm in range(2) for v in range(VCPUS)}, run.context()
    assert all(r["registered"] is True for r in steal.values()), run.context()
    assert sum(r["steal_ns"] for r in steal.values()) > 0, run.context()


def test_pv_several_writers_overcommit(boot):
    """Two writers (which flush each other too) over an uneven split of 5
    pages, 4 vCPUs on 2 pCPUs: still no stale read, counts add up."""
    run = tlbstress(boot, "pv", vms=1, vcpus=4, extra="tlb_writers=2 tlb_pages=5")
    check_no_stale(run, "pv", vms=1, vcpus=4, writers=2)
    rec = run.one("tlb_vm")
    assert rec["writers"] == 2 and rec["pages"] == 5, run.context()
    check_deferred_flushes_add_up(run)


def test_lockstress_then_tlbstress(boot):
    """task=lockstress,tlbstress at 2x: both tasks run in order, each VM
    reports both, and both verdicts are clean."""
    run = tlbstress(boot, "pv", vms=2, task="lockstress,tlbstress")
    check_no_stale(run, "pv", vms=2)
    locks = run.index("lock_vm", ("vm",))
    assert set(locks) == {(0,), (1,)}, run.context()
    for rec in locks.values():
        assert rec["violations"] == 0 and rec["counter_mismatches"] == 0, run.context()
        assert rec["acquisitions"] > 0, run.context()
    kinds = [r["kind"] for r in run.records if r.get("vm") == 0 and r.get("vcpu") == 0]
    assert kinds.index("lock_vm") < kinds.index("tlb_vm"), run.context()
    check_deferred_flushes_add_up(run)


@pytest.mark.parametrize("args, key, value", [
    pytest.param("vcpus=2 task=tlbstress tlb_writers=2", "tlb_writers", "2",
                 id="no-reader-left"),
    pytest.param("vcpus=1 task=smp,tlbstress", "tlb_writers", "1", id="one-vcpu"),
    pytest.param("tlb=lazy", "tlb", "lazy", id="unknown-flush-kind"),
    pytest.param("tlb_pages=513", "tlb_pages", "513", id="window-beyond-one-table"),
    pytest.param("tlb_writers=0", "tlb_writers", "0", id="no-writer"),
])
def test_bad_tlb_keys_are_refused(boot, args, key, value):
    """The hypervisor refuses the run with an error record naming the key."""
    run = boot(smp=SMP, args=args)
    run.assert_failed_cleanly()
    errors = [e for e in run.kind("error") if e.get("key") == key]
    assert errors, f"no error record with key {key!r}: {run.kind('error')}\n{run.context()}"
    assert str(errors[0].get("value")) == value, run.context()
    assert run.kind("vm") == [], run.context()
