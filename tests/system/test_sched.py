"""Issue 4: over-commit scheduling. Every policy x lock kind x PLE setting
runs lockstress at 2x with mutual exclusion intact; gang scheduling hands
turns over once per slice and never lets two VMs run at once, where rr of
the same shape does; PLE exits appear exactly when asked for and follow the
ple_exits knob; time is conserved per vCPU and per pCPU; steal time reaches
the guest; preempt_check and boost change what they should; bad values are
refused (by the parser, or by the hypervisor at run time with an error to
the guest, never a crash).

Boots are shared: lockstress_2x() keeps each configuration's run for the
whole module, so the matrix and the property tests below read the same
boots (issue 18: one run feeds several assertions)."""

import pytest

pytestmark = pytest.mark.sched

SMP = 2
DURATION = 800
SLICE_MS = 10                 # the default slice=
TURNS_PER_SLICE_END = 0.9     # gang: a slice end hands the turn over
MIN_TURNS_PER_SLICE = 0.5     # gang under Bochs: turns per slice of TSC time


# The Bochs boots (time = instructions, so host load cannot move it): the
# tests whose property is a time under the hypervisor's TSC read these, not
# QEMU's, whose TSC is host time (a QEMU thread the host starves for 30 ms
# adds 30 ms to whatever state its vCPU or pCPU was in).
BOCHS_SHAPE = "vms=2 vcpus=2 task=lockstress duration=400 lock=ticket ple=off mem=8M"


def lockstress_2x_bochs(shared_boot, sched):
    run = shared_boot(f"{BOCHS_SHAPE} sched={sched}", smp=SMP, backend="vmx")
    run.assert_passed(smp=SMP, vms=2, vcpus=2)
    for rec in run.kind("lock_vm"):
        assert rec["violations"] == 0 and rec["counter_mismatches"] == 0, run.context()
    return run


def lockstress_2x(shared_boot, extra):
    # With ple=on every PAUSE exits under QEMU-SVM, and multi-threaded TCG
    # then triple-faults 1-3% of these boots (README "Known defects": an
    # emulator race, absent in 230 single-threaded boots). These tests are
    # about pvhv's policies, not the emulator, so those boots run
    # single-threaded and instruction-counted (--deterministic).
    kw = {"deterministic": True} if "ple=on" in extra.split() else {}
    run = shared_boot(f"vms=2 vcpus=2 task=lockstress duration={DURATION} {extra}", **kw)
    run.assert_passed(smp=SMP, vms=2, vcpus=2)
    for rec in run.kind("lock_vm"):
        assert rec["violations"] == 0 and rec["counter_mismatches"] == 0, run.context()
        assert rec["acquisitions"] > 0, run.context()
    assert len(run.kind("lock_vm")) == 2, run.context()
    return run


@pytest.mark.parametrize("sched", ["cfs", "rr", "gang"])
@pytest.mark.parametrize("lock", ["ticket", "pvticket"])
@pytest.mark.parametrize("ple", ["off", "on"])
def test_policy_lock_ple_matrix(shared_boot, sched, lock, ple):
    """Every combination finishes with zero violations; the run record
    carries the effective policy."""
    run = lockstress_2x(shared_boot, f"sched={sched} lock={lock} ple={ple}")
    cfg = run.records[0]["config"]
    assert (cfg["sched"], cfg["lock"], cfg["ple"]) == (sched, lock, ple), run.context()
    assert run.one("sched")["policy"] == sched, run.context()
    # This guest never touches a debug register, so none is switched for
    # it (hv/virt/xstate.c: DR0-3 follow only vCPUs that used them).
    assert all(v["exits"]["dr_access"] == 0 for v in run.kind("hv_vcpu")), run.context()


def elapsed_ns(run):
    return max(r["elapsed_ns"] for r in run.kind("vm"))


def test_gang_never_overlaps_vms(shared_boot):
    """Gang: no vCPU ever started while a vCPU of another VM was running
    (counted by the scheduler on every switch), where rr of the same shape
    overlaps VMs all the time, so the counter can be non-zero."""
    gang = lockstress_2x(shared_boot, "sched=gang lock=ticket ple=off")
    rr = lockstress_2x(shared_boot, "sched=rr lock=ticket ple=off")
    assert gang.one("sched")["cross_vm_overlaps"] == 0, gang.context()
    assert rr.one("sched")["cross_vm_overlaps"] > 0, rr.context()
    assert rr.one("sched")["gang_switches"] == 0, rr.context()


def slice_ends(run):
    """Slice ends the scheduler acted on, per pCPU: every preemption is
    one pCPU's slice ending with its vCPU sent away."""
    return sum(r["preemptions"] for r in run.kind("hv_vcpu")) / SMP


def test_gang_turns_follow_the_slice(shared_boot):
    """Plain ticket locks never block, so a VM's turn ends only at a slice
    end (or when the VM finishes). Every slice end the scheduler acts on
    hands the turn over: turns are at least TURNS_PER_SLICE_END of the
    slice ends per pCPU (QEMU TCG, 2 pCPUs: 51 turns, 48.5 ends), a ratio
    of two counts of the same run, which host load cannot break. Upper
    bound: twice the slices of TSC time plus the start and end hand-overs
    (turns never cut short). That slices end on time at all, as a fraction
    of the run, is shown under Bochs (test_gang_turns_per_slice_bochs),
    where time follows the instruction count: under TCG a starved QEMU
    thread takes the slice-end interrupt late."""
    run = lockstress_2x(shared_boot, "sched=gang lock=ticket ple=off")
    turns = run.one("sched")["gang_switches"]
    slices = elapsed_ns(run) / (SLICE_MS * 1e6)
    ends = slice_ends(run)
    assert slices >= 20, f"run too short to count turns: {slices:.1f} slices\n{run.context()}"
    assert ends >= 2, f"no slice ever ended: {ends} per pCPU\n{run.context()}"
    assert TURNS_PER_SLICE_END * ends <= turns <= 2 * slices + 4, \
        f"{turns} gang turns, {ends:.1f} slice ends per pCPU, {slices:.1f} slices\n{run.context()}"


@pytest.mark.bochs
def test_gang_turns_per_slice_bochs(shared_boot):
    """Under Bochs (time = instructions, deterministic) the turns are a
    fraction of the run's slices: at least MIN_TURNS_PER_SLICE per slice
    of TSC time. Bochs-VMX at landing: 58 turns in 90.3 slices (0.64; the
    hand-over and the hypervisor's own work lengthen a turn past one
    slice). A gang whose slices never ended would hand over about once
    per VM."""
    run = lockstress_2x_bochs(shared_boot, "gang")
    turns = run.one("sched")["gang_switches"]
    slices = elapsed_ns(run) / (SLICE_MS * 1e6)
    assert slices >= 20, run.context()
    assert MIN_TURNS_PER_SLICE * slices <= turns <= 2 * slices + 4, \
        f"{turns} gang turns in {slices:.1f} slices\n{run.context()}"
    assert run.one("sched")["cross_vm_overlaps"] == 0, run.context()


@pytest.mark.bochs
def test_gang_keeps_siblings_together(shared_boot):
    """Co-run skew (a VM's vCPU running while a sibling waits for a pCPU):
    gang gives each VM every pCPU during its turn, rr of the same shape
    splits siblings. Gang's skew is below rr's for every VM. Under Bochs:
    skew is time, and under QEMU TCG a starved pCPU thread stretches gang's
    hand-over windows by host time (this comparison was flaky with two
    emulators running); that gang never runs two VMs at once is a count,
    asserted under QEMU by test_gang_never_overlaps_vms. Bochs-VMX at
    landing: gang 115 and 107 ms, rr 394 and 412 ms of ~920 ms."""
    gang = {r["vm"]: r["coskew_ns"] for r in lockstress_2x_bochs(shared_boot, "gang").kind("vm")}
    rr = {r["vm"]: r["coskew_ns"] for r in lockstress_2x_bochs(shared_boot, "rr").kind("vm")}
    for vm in (0, 1):
        assert gang[vm] < rr[vm], f"vm {vm}: gang coskew {gang[vm]} ns, rr {rr[vm]} ns"


def test_gang_rotates_more_vcpus_than_pcpus(boot):
    """A VM with more vCPUs than pCPUs still finishes under gang."""
    run = boot(smp=SMP, args=f"vms=2 vcpus=3 sched=gang lock=pvticket duration={DURATION}")
    run.assert_passed(smp=SMP, vms=2, vcpus=3)
    assert run.one("sched")["cross_vm_overlaps"] == 0, run.context()


def test_ple_exits_only_when_enabled(shared_boot):
    """Plain ticket at 2x: PLE detects pause loops and yields when on (to a
    runnable sibling at least once: directed yields), and the hypervisor
    sees no PAUSE exit at all when off."""
    on = lockstress_2x(shared_boot, "sched=rr lock=ticket ple=on")
    hv = on.kind("hv_vcpu")
    assert sum(r["ple_exits"] for r in hv) > 0, on.context()
    assert sum(r["exits"]["pause"] for r in hv) > 0, on.context()
    yields = sum(r["directed_yields"] + r["yields_no_candidate"] for r in hv)
    assert yields == sum(r["ple_exits"] for r in hv), on.context()
    assert sum(r["directed_yields"] for r in hv) > 0, on.context()

    off = lockstress_2x(shared_boot, "sched=rr lock=ticket ple=off")
    hv = off.kind("hv_vcpu")
    assert sum(r["exits"]["pause"] for r in hv) == 0, off.context()
    assert sum(r["ple_exits"] for r in hv) == 0, off.context()


def test_ple_exits_knob_sets_the_software_filter(shared_boot):
    """SVM under TCG has no pause filter: a loop is ple_exits PAUSE exits
    within one window. With ple_exits at its maximum no window ever fills,
    so PAUSEs still exit but no loop is detected."""
    run = lockstress_2x(shared_boot, "sched=rr lock=ticket ple=on ple_exits=1000000")
    assert run.records[0]["config"]["ple_exits"] == 1000000, run.context()
    hv = run.kind("hv_vcpu")
    assert run.one("sched")["ple_hw"] is False, run.context()
    assert sum(r["exits"]["pause"] for r in hv) > 0, run.context()
    assert sum(r["ple_exits"] for r in hv) == 0, run.context()


# Per vCPU the hypervisor splits time into run, runnable and blocked from
# the vCPU's start to its end; the VM's elapsed time runs from vCPU0's start
# to the VM's end. Both are the hypervisor's TSC, so the bound covers only
# the last state change after the VM ended and the start of the APs. Under
# Bochs only: under QEMU TCG the TSC is host time, and a pCPU thread the
# host deschedules between two of those edges (the VM's end and a sibling
# pCPU seeing it, an AP's start, a pick and the busy clock's start) adds
# host time to one side only (this test was flaky with two emulators
# running).
CONSERVATION_TOL = 0.02       # of the VM's elapsed time
CONSERVATION_SLACK_NS = 2_000_000


@pytest.mark.bochs
def test_time_is_conserved_per_vcpu_and_per_pcpu(shared_boot):
    """run + runnable + blocked = elapsed for vCPU0 (and <= for the APs,
    which start later), within 2% + 2 ms; the vCPUs' run time adds up to
    the pCPUs' busy time within the same bound; at 2x over-commit under rr
    every vCPU waited (runnable) a fair part of the time. Bochs-VMX at
    landing: vCPU0 within 5 us of the VM's elapsed time, run and busy sums
    within 0.03%, runnable 39-55% of each vCPU's time."""
    run = lockstress_2x_bochs(shared_boot, "rr")
    vm_elapsed = {r["vm"]: r["elapsed_ns"] for r in run.kind("vm")}
    hv = run.index("hv_vcpu", ("vm", "vcpu"))
    for (vm, vcpu), r in hv.items():
        total = r["run_ns"] + r["runnable_ns"] + r["blocked_ns"]
        bound = CONSERVATION_TOL * vm_elapsed[vm] + CONSERVATION_SLACK_NS
        if vcpu == 0:
            assert abs(total - vm_elapsed[vm]) <= bound, \
                f"vCPU {(vm, vcpu)}: {total} ns accounted, VM elapsed {vm_elapsed[vm]}"
        else:
            assert total <= vm_elapsed[vm] + bound, (vm, vcpu, total, vm_elapsed[vm])
            assert total >= 0.5 * vm_elapsed[vm], (vm, vcpu, total, vm_elapsed[vm])
        assert r["runnable_ns"] >= 0.1 * total, f"vCPU {(vm, vcpu)} never waited: {r}"
    run_sum = sum(r["run_ns"] for r in hv.values())
    busy_sum = sum(r["busy_ns"] for r in run.kind("pcpu"))
    assert abs(run_sum - busy_sum) <= CONSERVATION_TOL * busy_sum + CONSERVATION_SLACK_NS, \
        f"sum of vCPU run {run_sum} ns, sum of pCPU busy {busy_sum} ns"


def test_steal_time_reaches_the_guest(shared_boot):
    """Each vCPU's steal as read by the guest at the end is the runnable
    time the hypervisor published at its last entry: positive, never more
    than the hypervisor's final figure, and behind it by at most the time
    the vCPU ran since (its run time bounds that)."""
    run = lockstress_2x(shared_boot, "boost=off lock=ticket sched=rr")
    steal = run.index("steal", ("vm", "vcpu"))
    hv = run.index("hv_vcpu", ("vm", "vcpu"))
    assert set(steal) == set(hv), run.context()
    for key, rec in steal.items():
        assert rec["registered"] is True, run.context()
        assert hv[key]["steal_registered"] == 1, run.context()
        runnable = hv[key]["runnable_ns"]
        assert 0 < rec["steal_ns"] <= runnable, \
            f"vCPU {key}: guest steal {rec['steal_ns']} ns vs runnable {runnable} ns"


def test_preempt_check_both_ways(shared_boot):
    """pvticket with the waiter watching for a preempted holder: with
    preempt_check=on waiters do find preempted holders at 2x (and stay
    correct); with it off they never look."""
    on = lockstress_2x(shared_boot, "lock=pvticket preempt_check=on")
    off = lockstress_2x(shared_boot, "lock=pvticket ple=off sched=rr")
    assert off.records[0]["config"]["preempt_check"] == "off", off.context()
    assert all(r["preempt_check"] is True for r in on.kind("lock_vcpu")), on.context()
    assert all(r["preempt_check"] is False for r in off.kind("lock_vcpu")), off.context()
    assert sum(r["preempted_holder"] for r in on.kind("lock_vcpu")) > 0, on.context()
    assert sum(r["preempted_holder"] for r in off.kind("lock_vcpu")) == 0, off.context()


def test_boost_preempts_for_woken_vcpus_only_when_on(shared_boot):
    """boost=on (the default): a kicked vCPU makes a running one give way
    (under rr its kicker, a kick swap, counted in kick_swaps; other
    wake-ups preempt the longest runner, counted in wake-up preemptions);
    boost=off never does, and nothing is lost either way (every kick
    received)."""
    # spin_threshold=64: this test is about what the host does with a kicked
    # vCPU, so it makes kicks certain; at the default threshold QEMU TCG at
    # 2x takes the slow path only now and then (0 kicks in some runs).
    # Both runs share one shape so that boost is the only difference.
    shape = "lock=pvticket ple=off sched=rr spin_threshold=64"
    on = lockstress_2x(shared_boot, shape)
    off = lockstress_2x(shared_boot, f"{shape} boost=off")
    assert on.records[0]["config"]["boost"] == "on", on.context()
    for run in (on, off):
        sent = sum(r["kicks_sent"] for r in run.kind("lock_vcpu"))
        assert sent == sum(r["kicks_received"] for r in run.kind("hv_vcpu")), run.context()
    assert sum(r["kicks_sent"] for r in on.kind("lock_vcpu")) > 0, on.context()
    gave_way = on.one("sched")["wakeup_preemptions"] + on.one("sched")["kick_swaps"]
    assert gave_way > 0, on.context()
    assert off.one("sched")["wakeup_preemptions"] == 0, off.context()
    assert off.one("sched")["kick_swaps"] == 0, off.context()


@pytest.mark.parametrize("args, key", [
    ("sched=foo", "sched"),
    ("ple_window=0", "ple_window"),
    ("ple=maybe", "ple"),
    ("boost=1", "boost"),
])
def test_bad_scheduler_values_refused(boot, args, key):
    run = boot(smp=SMP, args=args)
    run.assert_failed_cleanly()
    errors = run.kind("error")
    assert [e["key"] for e in errors] == [key], run.context()
    assert "allowed" in errors[0]["message"], run.context()
    assert run.kind("vm") == [], run.context()
