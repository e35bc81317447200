"""Issue 6: the Intel VMX backend under Bochs, next to the AMD SVM backend
under QEMU TCG; issue 14: the SVM backend under Bochs' AMD model too. Each
test runs once per implementation (ids svm-qemu, vmx-bochs, svm-bochs);
the Bochs variants carry the `bochs` marker. Short runs and 8 MiB guests keep
the Bochs variants together within a few minutes on two host cores."""

import pytest

from conftest import BACKENDS, backend_name, under_bochs

SMP = 2


def exits(run, field):
    return sum(r["exits"].get(field, 0) for r in run.kind("hv_vcpu"))


def assert_backend(run, param):
    backend = backend_name(param)
    assert run.records[0]["backend"] == backend, run.context()
    assert run.records[0]["config"]["backend"] == backend, run.context()


@pytest.mark.parametrize("backend", BACKENDS)
def test_smp_boot_2vms_2vcpus(backend_boot, backend):
    """2 VMs x 2 vCPUs on 2 pCPUs boot, bring up their APs and finish; the
    same boot runs task=abi, whose forged end records (COM1, CONSOLE_WRITE,
    the host's COM2 and LPT1, REPORT tricks) must not be trusted. Under Bochs
    the verdict is read from LPT1: the run can only pass if LPT1 held exactly
    the hypervisor's one end record (pvhv_run.judge_bochs), so a guest
    write reaching the host's LPT1 would fail it."""
    run = backend_boot(backend, smp=SMP, args="vms=2 vcpus=2 task=smp,abi mem=8M")
    run.assert_passed(smp=SMP, vms=2, vcpus=2)
    assert_backend(run, backend)
    for rec in run.kind("smp"):
        assert rec["vcpus_up"] == 2, run.context()
    abi = run.kind("abi")
    assert len(abi) == 2 and all(r["failures"] == 0 and r["checks"] >= 28 for r in abi), \
        run.context()
    assert "forged on COM1" in run.result.log_text, "the forgery was not attempted"
    assert not [r for r in run.records if "forged" in str(r.get("reason", ""))], run.context()
    assert len(run.kind("end")) == 1, run.context()
    assert run.result.reason == "pass: every VM finished and reported success", run.result.reason
    # The exits every boot needs: hypercalls, port I/O (COM1), CPUID.
    for field in ("hypercall", "io", "cpuid"):
        assert exits(run, field) > 0, f"no {field} exits\n{run.context()}"
    assert exits(run, "entry_fail") == 0 and exits(run, "unknown") == 0, run.context()
    # Each vCPU0 slept with CR8 = 15 until its sibling kicked it (task abi):
    # the host vectors kept working (issue 13 review item 1).
    hv = run.index("hv_vcpu", ("vm", "vcpu"))
    assert all(hv[(vm, 0)]["blocked_ns"] > 0 for vm in (0, 1)), run.context()
    # Its INVD exits and is run as a no-op (review item 7); QEMU TCG does not
    # intercept INVD, Bochs does.
    if under_bochs(backend):
        assert all(hv[(vm, 0)]["exits"]["invd"] == 1 for vm in (0, 1)), run.context()
    # The exit after an injected interrupt (QEMU 7.2's double delivery,
    # hv/svm/svm_exit.c) is taken under QEMU only, found by its signature.
    quirk = "qemu_inject_exit" in run.records[0]["virt_features"]
    assert quirk == (backend == "svm"), run.records[0]["virt_features"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_pvticket_2x_kicks(backend_boot, backend):
    """pv ticket locks at 2x over-commit: mutual exclusion holds, waiters
    halt and are kicked, every kick sent is a kick received."""
    run = backend_boot(backend, smp=SMP, args="vms=2 vcpus=2 task=lockstress lock=pvticket "
                                              "duration=600 spin_threshold=512 mem=8M")
    run.assert_passed(smp=SMP, vms=2, vcpus=2)
    assert_backend(run, backend)
    guest = run.kind("lock_vcpu")
    assert len(guest) == 4, run.context()
    assert all(r["violations"] == 0 for r in guest), run.context()
    assert all(r["violations"] == 0 and r["counter_mismatches"] == 0
               for r in run.kind("lock_vm")), run.context()
    assert sum(r["kicks_sent"] for r in guest) > 0, run.context()
    received = sum(r["kicks_received"] for r in run.kind("hv_vcpu"))
    assert received == sum(r["kicks_sent"] for r in guest), run.context()
    # Every pv halt of a waiter is a HLT the hypervisor saw (it also sees the
    # HLTs of idle and parked vCPUs, so >=), per vCPU.
    hv = run.index("hv_vcpu", ("vm", "vcpu"))
    halts = {(r["vm"], r["vcpu"]): r["halts"] for r in guest}
    assert sum(halts.values()) > 0, run.context()
    for key, n in halts.items():
        assert hv[key]["exits"]["hlt"] >= n, f"vCPU {key}: {n} halts, {hv[key]['exits']}"
    if backend == "vmx":
        # Skylake-X offers the VMX-preemption timer: slices end through it.
        assert exits(run, "preempt_timer") > 0, run.context()


@pytest.mark.parametrize("backend", BACKENDS)
def test_triple_fault_kills_only_that_vm(backend_boot, backend):
    """VM 1 triple-faults: it alone is killed, VM 0 finishes, the run fails
    cleanly and says why."""
    run = backend_boot(backend, smp=SMP, args="vms=2 vcpus=1 crash=1:triple mem=8M")
    run.assert_failed_cleanly()
    assert_backend(run, backend)
    vms = run.vms()
    assert vms[0]["state"] == "done" and vms[1]["state"] == "killed", run.context()
    assert "triple fault" in vms[1]["reason"], run.context()
    hv = run.index("hv_vcpu", ("vm", "vcpu"))
    assert hv[(1, 0)]["exits"]["shutdown"] >= 1, run.context()
    end = run.records[-1]
    assert end["vms_done"] == 1 and end["vms_killed"] == 1, run.context()


@pytest.mark.parametrize("backend", BACKENDS)
def test_ple_exits_with_ticket_locks(backend_boot, backend):
    """ple=on with plain ticket locks: spinning waiters cause PAUSE-loop
    exits (VMX: hardware PLE; SVM under Bochs: the pause filter; SVM under
    TCG: every PAUSE exits and the software filter counts loops)."""
    run = backend_boot(backend, smp=SMP, args="vms=1 vcpus=2 task=lockstress lock=ticket "
                                              "ple=on duration=400 mem=8M")
    run.assert_passed(smp=SMP, vms=1, vcpus=2)
    assert_backend(run, backend)
    assert exits(run, "pause") > 0, run.context()
    assert sum(r["ple_exits"] for r in run.kind("hv_vcpu")) > 0, run.context()
    sched = run.one("sched")
    assert sched["ple"] is True, run.context()
    assert sched["ple_hw"] is under_bochs(backend), run.context()
    hw_filter = "ple" if backend_name(backend) == "vmx" else "pause_filter"
    assert (hw_filter in run.records[0]["virt_features"]) is under_bochs(backend), run.context()


# Not svm-bochs (budget): the refusal is the probe's, the same code as svm-qemu.
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b.id != "svm-bochs"])
def test_forcing_the_missing_backend_is_refused(backend_boot, backend):
    """backend=<the other one> on a CPU without it: an error record on the
    backend key naming what is missing, and a clean failure."""
    other = "vmx" if backend_name(backend) == "svm" else "svm"
    run = backend_boot(backend, smp=1, args=f"backend={other} vms=1 vcpus=1 mem=8M")
    run.assert_failed_cleanly()
    errors = run.kind("error")
    assert len(errors) == 1 and errors[0]["key"] == "backend", run.context()
    assert errors[0]["value"] == other, run.context()
    assert ("VMX" if other == "vmx" else "SVM") in errors[0]["message"], run.context()


# Not svm-bochs: its 600 ms run costs ~35 s of the make test budget, and
# test_hw_features.py runs tlb=pv under the same model.
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b.id != "svm-bochs"])
def test_tlbstress_pv_2x_no_stale_reads(backend_boot, backend):
    """pv TLB shootdowns at 2x over-commit: no reader ever sees a stale
    translation, flushes are deferred to preempted vCPUs, and each one the
    guests deferred is done by the hypervisor before that vCPU runs again.
    Neither emulator can show a missed flush as a stale read (both flush
    their whole TLB at every world switch, DESIGN.md section 6); the
    flush-on-entry path itself is proven by tests/unit/test_steal.c and by
    the guest-equals-hypervisor flush counts below."""
    # sched=rr slice=3: the shape needs shootdowns of both kinds, some whose
    # target is preempted (skipped) and some that wait on a running one.
    # Under cfs (the default) the two vCPUs of a VM almost never co-run on
    # 2 pCPUs, so every target is skipped and nothing would ever wait; with
    # 10 ms rr slices Bochs keeps them in lockstep, so nothing is skipped.
    # Under QEMU the boot is --deterministic (single-threaded, instruction-
    # counted): plain single-threaded TCG interleaves the pCPUs by host
    # timing, and one clean-clone run at a314570 skipped every target
    # (waits 0); the deterministic schedule gives 42 and 47 waits beside
    # 2758 skipped targets in every run.
    kw = {"deterministic": True} if backend == "svm" else {}
    run = backend_boot(backend, smp=SMP, args="vms=2 vcpus=2 task=tlbstress tlb=pv "
                                              "sched=rr duration=600 slice=3 mem=8M", **kw)
    run.assert_passed(smp=SMP, vms=2, vcpus=2)
    assert_backend(run, backend)
    vms = run.kind("tlb_vm")
    assert len(vms) == 2 and all(r["tlb"] == "pv" for r in vms), run.context()
    assert all(r["stale_reads"] == 0 and r["shootdowns"] > 0 for r in vms), run.context()
    assert sum(r["targets_skipped"] for r in vms) > 0, run.context()
    for r in vms:   # the rate is over the writers' stress window, inside the elapsed time
        assert 0 < r["window_shootdowns"] <= r["shootdowns"], run.context()
        assert 0 < r["window_cycles"] <= r["elapsed_cycles"], run.context()
        assert r["throughput"] == r["window_shootdowns"] * r["tsc_hz"] // r["window_cycles"], r
    for r in run.kind("tlb_vcpu"):   # every wait charged to one state of its last target
        assert r["waits"] == r["slow_running"] + r["slow_preempted"] <= r["shootdowns"], run.context()
        assert r["slow_preempted_max"] <= r["slow_preempted_cycles"], run.context()
    assert sum(r["waits"] for r in run.kind("tlb_vcpu")) > 0, run.context()
    deferred = sum(r["deferred_flushes"] for r in run.kind("tlb_vcpu"))
    flushed = sum(r["tlb_flushes_on_entry"] for r in run.kind("hv_vcpu"))
    assert deferred == flushed and flushed > 0, run.context()
    # Each deferred flush asked for was executed at that entry (INVVPID on
    # VMX, TLB_CONTROL on SVM), besides those migrations need.
    for r in run.kind("hv_vcpu"):
        assert r["guest_tlb_flushes"] >= r["tlb_flushes_on_entry"], r


def bochs_halt_rate(run):
    guest = run.kind("lock_vcpu")
    return sum(r["halts"] for r in guest) / sum(r["acquisitions"] for r in guest)


@pytest.mark.bochs
def test_default_threshold_halts_at_2x_not_1x(shared_boot):
    """Under Bochs (instruction-timed, so no host scheduling gets in the
    way, unlike TCG where a waiter's thread can be descheduled at 1x too):
    at the default spin_threshold waiters run out of spins, and halt, only
    when holders are preempted. At 2x over-commit they halt; at 1x (as
    many vCPUs as pCPUs) halts per acquisition are lower. slice=50: the
    default 32768 spins take about a 10 ms slice of emulated time on 2
    Bochs CPUs, so with 10 ms slices a waiter is itself preempted before it
    runs out (measured: 0 halts at 2x); 50 ms leaves it room to."""
    args = "task=lockstress lock=pvticket duration=400 mem=8M vcpus=2 slice=50"
    one = shared_boot(f"{args} vms=1", smp=SMP, backend="vmx")
    two = shared_boot(f"{args} vms=2", smp=SMP, backend="vmx")
    one.assert_passed(smp=SMP, vms=1, vcpus=2)
    two.assert_passed(smp=SMP, vms=2, vcpus=2)
    assert two.records[0]["config"]["spin_threshold"] == 32768, two.context()
    assert sum(r["halts"] for r in two.kind("lock_vcpu")) > 0, two.context()
    assert bochs_halt_rate(two) > bochs_halt_rate(one), \
        f"halts/acquisition: 2x {bochs_halt_rate(two):.2e}, 1x {bochs_halt_rate(one):.2e}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_register_state_isolated_between_vms(backend_boot, backend):
    """Issue 13 review item 6: two VMs on one pCPU, each with a pattern of
    its own in xmm0-15, DR0-3, CR2 (and PKRU where the CPU has it), reading
    them back for 200 ms while the other VM runs in between: no vCPU ever
    sees a value that is not its own. Before the hypervisor switched them
    (hv/virt/xstate.c; VMX DR6/CR2 in hv/vmx/vmx_load.c), the VM that ran
    second found the other's pattern and the run failed."""
    run = backend_boot(backend, smp=1, args="vms=2 vcpus=1 task=xstate duration=200 mem=8M")
    run.assert_passed(smp=1, vms=2, vcpus=1)
    recs = run.kind("xstate")
    assert len(recs) == 2, run.context()
    for rec in recs:
        assert rec["mismatches"] == 0 and rec["first"] == "", rec
        # The other VM really ran between two reads (else this could not fail).
        assert rec["switches_seen"] > 0 and rec["rounds"] > rec["switches_seen"], rec
    # DR0-3 are switched lazily: each vCPU's first debug-register access
    # exits once, and only then do its registers follow it. A lockstress
    # guest, which never touches them, takes no such exit.
    for v in run.kind("hv_vcpu"):
        assert v["exits"]["dr_access"] == 1, v
