"""Issue 15: the lock zoo (tas, mcs, qspin, pvqspin, pticket) at 2x
over-commit. Under QEMU each kind boots on its own (2 VMs x 2 vCPUs on 2
pCPUs); under Bochs one boot runs every kind as one lockstress phase after
the other (lock= with a list) to keep the emulator time small. Every phase
of every VM must finish with zero mutual-exclusion violations and every
vCPU must have acquired the lock; pvqspin waiters must really halt and be
kicked, and every kick the guests count must be one the hypervisor got."""

import pytest

pytestmark = pytest.mark.lock

SMP = 2
VMS = 2
VCPUS = 2
ZOO = ["tas", "mcs", "qspin", "pvqspin", "pticket"]
# A short spin makes the pv slow path certain (see test_lockstress.py).
QEMU_ARGS = "duration=500 spin_threshold=16"
# Bochs runs every kind in one boot: short phases, small guests.
BOCHS_ARGS = "duration=200 spin_threshold=16 mem=8M"


def check_phase(run, lock, vms, vcpus):
    """The records of one lock kind: one lock_vm per VM and one lock_vcpu per
    vCPU, zero violations and counter mismatches, progress everywhere.
    Returns the lock_vcpu records."""
    per_vm = [r for r in run.kind("lock_vm") if r["lock"] == lock]
    assert sorted(r["vm"] for r in per_vm) == list(range(vms)), run.context()
    for rec in per_vm:
        assert rec["violations"] == 0 and rec["counter_mismatches"] == 0, run.context()
        assert rec["acquisitions"] > 0, run.context()
    per_vcpu = [r for r in run.kind("lock_vcpu") if r["lock"] == lock]
    assert sorted((r["vm"], r["vcpu"]) for r in per_vcpu) == \
        [(vm, v) for vm in range(vms) for v in range(vcpus)], run.context()
    for rec in per_vcpu:
        assert rec["violations"] == 0 and rec["acquisitions"] > 0, run.context()
    if lock != "pvqspin":
        # only the pv kinds halt and kick
        assert all(r["halts"] == 0 and r["kicks_sent"] == 0 for r in per_vcpu), run.context()
    return per_vcpu


def check_pv_kicks(run, guest_vcpu_records):
    """pvqspin halted and kicked, and the kicks add up with the hypervisor's."""
    pv = [r for r in guest_vcpu_records if r["lock"] == "pvqspin"]
    assert sum(r["halts"] for r in pv) > 0, run.context()
    assert sum(r["kicks_sent"] for r in pv) > 0, run.context()
    sent = sum(r["kicks_sent"] for r in guest_vcpu_records)
    received = sum(r["kicks_received"] for r in run.kind("hv_vcpu"))
    assert sent == received, f"kicks sent {sent} != received {received}\n{run.context()}"


@pytest.mark.parametrize("lock", ZOO)
def test_zoo_2x_qemu(boot, lock):
    run = boot(smp=SMP, args=f"vms={VMS} vcpus={VCPUS} task=lockstress lock={lock} {QEMU_ARGS}")
    run.assert_passed(smp=SMP, vms=VMS, vcpus=VCPUS)
    assert run.records[0]["config"]["lock"] == lock, run.context()
    recs = check_phase(run, lock, VMS, VCPUS)
    if lock == "pvqspin":
        check_pv_kicks(run, recs)


@pytest.mark.bochs
def test_zoo_2x_bochs_one_boot(backend_boot):
    lock = ",".join(ZOO)
    run = backend_boot("vmx", smp=SMP,
                       args=f"vms={VMS} vcpus={VCPUS} task=lockstress lock={lock} {BOCHS_ARGS}")
    run.assert_passed(smp=SMP, vms=VMS, vcpus=VCPUS)
    assert run.records[0]["backend"] == "vmx", run.context()
    assert run.records[0]["config"]["lock"] == lock, run.context()
    recs = []
    for phase, kind in enumerate(ZOO):
        got = check_phase(run, kind, VMS, VCPUS)
        assert all(r["phase"] == phase for r in got), run.context()
        recs += got
    check_pv_kicks(run, recs)
