"""Issue 17: tlbstress with tlb=hv (one PV_HC_FLUSH_TLB hypercall per
shootdown) at 1x and 2x, on SVM (QEMU TCG) and VMX (Bochs). The 2x boot
runs VM 0 with tlb=hv and VM 1 with tlb=pv, so the pv hand-over of targets
preempted while the sender waits is exercised in the same boot.

Neither emulator can show a missed flush as a stale read (both flush their
whole TLB at every world switch, DESIGN.md §6): what catches a dropped or
extra flush here are the equalities between the guest's counts and the
hypervisor's (host unit test test_tlb_hv and the model pvtlb.pml prove the
mechanism itself)."""

import pytest

DURATION = 500
SMP = 2
VCPUS = 2

BACKENDS = [pytest.param("svm", id="svm-qemu"),
            pytest.param("vmx", id="vmx-bochs", marks=pytest.mark.bochs)]


def tlb_boot(shared_boot, backend, vms):
    args = f"vms={vms} vcpus={VCPUS} task=tlbstress tlb=hv duration={DURATION} mem=8M"
    if vms == 2:
        args += " vm1.tlb=pv"
    if backend == "vmx":
        args += " sched=rr"     # under cfs a VM's vCPUs rarely co-run on Bochs
    run = shared_boot(args, smp=SMP, backend=backend)
    run.assert_passed(smp=SMP, vms=vms, vcpus=VCPUS)
    return run


def by_vm(records):
    out = {}
    for r in records:
        out.setdefault(r["vm"], []).append(r)
    return out


def hv_vms(run):
    return {r["vm"] for r in run.kind("tlb_vm") if r["tlb_asked"] == "hv"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("vms", [1, 2], ids=["1x", "2x"])
def test_hv_flush_no_stale_reads_and_no_ipis(shared_boot, backend, vms):
    """Every VM reports; tlb=hv is used where asked; no stale read; every
    target of every shootdown was named in the hypercall, none IPI'd."""
    run = tlb_boot(shared_boot, backend, vms)
    per_vm = run.index("tlb_vm", ("vm",))
    assert set(per_vm) == {(vm,) for vm in range(vms)}, run.context()
    assert hv_vms(run) == {0}, run.context()
    for (vm,), rec in per_vm.items():
        assert rec["tlb"] == rec["tlb_asked"], run.context()
        assert rec["stale_reads"] == 0 and rec["reads"] > 0, run.context()
        assert rec["shootdowns"] > 0 and rec["latency"]["count"] == rec["shootdowns"], run.context()
        targets = rec["shootdowns"] * (VCPUS - 1)
        if rec["tlb"] == "hv":
            assert rec["hv_targets"] == targets, run.context()
            assert rec["ipis_sent"] == rec["targets_skipped"] == rec["handed_over"] == 0, \
                run.context()
            assert rec["deferred_flushes"] == 0 and rec["waits"] == 0, run.context()
        else:
            assert rec["ipis_sent"] + rec["targets_skipped"] == targets, run.context()
            assert rec["handed_over"] <= rec["ipis_sent"], run.context()
            assert rec["hv_targets"] == 0 and rec["hv_flushes"] == 0, run.context()
    for r in run.kind("tlb_vcpu"):
        assert r["stale_reads"] == 0, run.context()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("vms", [1, 2], ids=["1x", "2x"])
def test_hv_flush_counts_add_up(shared_boot, backend, vms):
    """Per VM: one FLUSH_TLB hypercall per shootdown; the flushes the guest
    was told were new are exactly the ones the hypervisor consumed before
    an entry (and asked for); the backends executed flushes; the pv VM's deferred flushes (skipped or handed over) match its flushes on
    entry."""
    run = tlb_boot(shared_boot, backend, vms)
    hv = by_vm(run.kind("hv_vcpu"))
    guest = by_vm(run.kind("tlb_vcpu"))
    for (vm,), rec in run.index("tlb_vm", ("vm",)).items():
        h = hv[vm]
        calls = sum(r["hypercalls"]["flush_tlb"] for r in h)
        flushed = sum(r["tlb_hv_flushes"] for r in h)
        asked = sum(r["tlb_hv_requested"] for r in h)
        deferred = sum(r["deferred_flushes"] for r in guest[vm])
        on_entry = sum(r["tlb_flushes_on_entry"] for r in h)
        if rec["tlb"] == "hv":
            assert calls == rec["shootdowns"], run.context()
            assert rec["hv_flushes"] == flushed == asked, \
                f"vm {vm}: guest {rec['hv_flushes']} hv {flushed} asked {asked}\n{run.context()}"
            assert 0 < flushed <= rec["hv_targets"], run.context()
            assert sum(r["tlb_hv_forced_exits"] for r in h) <= rec["hv_targets"], run.context()
            assert on_entry == deferred == 0, run.context()
        else:
            assert calls == 0 and flushed == asked == 0, run.context()
            assert deferred == on_entry, f"vm {vm}: guest {deferred} hv {on_entry}\n{run.context()}"
        for r in h:
            assert r["tlb_hv_requested"] == r["tlb_hv_flushes"], r
            # Requests coalesce: an entry that aborts (EXIT_NONE) keeps the
            # backend's pending flush, and a flag consumed before the next
            # attempt adds a request but no flush (seen under QEMU: 13 pv
            # flushes on entry, 12 executed). So no count bounds another.
            assert r["guest_tlb_flushes"] > 0 or \
                r["tlb_hv_flushes"] + r["tlb_flushes_on_entry"] == 0, r
