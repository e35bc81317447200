"""Issue 10: Bochs as pvhv's measuring platform. The same images and command
line give the same records (Bochs' clocks follow the instruction count and
pvhv is told the rate instead of calibrating), and at 4 pCPUs with 2x
over-commit the pv ticket lock's slow path is taken with the default spin
threshold in every VM, which is the mechanism the benchmarks measure."""

import pytest

import pvhv_run

pytestmark = pytest.mark.bochs

# Fields of @pvhv records that hold host wall-clock time and may differ
# between two identical Bochs runs. The hypervisor and guest have no access
# to host time (every time field is emulated TSC time), so there are none;
# a field added here must say why it is host time.
HOST_WALL_TIME_FIELDS = frozenset()


def without_host_time(records):
    return [{k: v for k, v in r.items() if (r.get("kind"), k) not in HOST_WALL_TIME_FIELDS}
            for r in records]


def test_same_run_twice_gives_identical_records(backend_boot):
    """Two boots of one configuration: identical records, exact TSC rate."""
    args = "vms=2 vcpus=2 task=lockstress duration=150 mem=8M"
    first = backend_boot("vmx", smp=2, args=args)
    second = backend_boot("vmx", smp=2, args=args)
    for run in (first, second):
        run.assert_passed(smp=2, vms=2, vcpus=2)
        rec = run.records[0]
        assert rec["timing"] == "instructions", run.context()
        assert rec["ips"] == pvhv_run.BOCHS_IPS, run.context()
        assert rec["tsc_hz"] == pvhv_run.BOCHS_IPS, run.context()
        assert run.kind("lock_vm"), run.context()
    a, b = without_host_time(first.records), without_host_time(second.records)
    assert len(a) == len(b), f"{len(a)} vs {len(b)} records\n{second.context()}"
    for ra, rb in zip(a, b):
        assert ra == rb, f"records differ:\n{ra}\n{rb}\n{second.context()}"


def test_4pcpus_2x_pvticket_halts_and_kicks_in_every_vm(backend_boot):
    """4 pCPUs, 2 VMs x 4 vCPUs, default spin threshold: in each VM waiters
    reach the slow path, halt and are kicked; mutual exclusion holds."""
    # The slow path is forced by the shape, not left to the schedule: a
    # critical section of 200000 iterations (~20 ms of Bochs time) is longer
    # than a slice, so a holder is preempted while it holds the lock and the
    # waiters on the other pCPUs exhaust the default 32768 spins (~4.6 ms).
    # With cs=1000 the count depended on how the policy happened to line up
    # the slices: 0-2 halts per vCPU under cfs, and 0 in VM 0 after unrelated
    # code changes moved the deterministic schedule. Here: 5 halts and 5 kicks
    # on every vCPU (main 35097fb, 9 s).
    run = backend_boot("vmx", smp=4, args="vms=2 vcpus=4 task=lockstress lock=pvticket "
                                          "cs=200000 think=1000 duration=400 mem=8M")
    run.assert_passed(smp=4, vms=2, vcpus=4)
    assert run.records[0]["config"]["spin_threshold"] == 32768, run.context()
    for vm in (0, 1):
        mine = [r for r in run.kind("lock_vcpu") if r["vm"] == vm]
        assert len(mine) == 4, run.context()
        assert all(r["violations"] == 0 for r in mine), run.context()
        assert sum(r["halts"] for r in mine) > 0, f"VM {vm}: no halts\n{run.context()}"
        assert sum(r["kicks_sent"] for r in mine) > 0, f"VM {vm}: no kicks\n{run.context()}"
        received = sum(r["kicks_received"] for r in run.kind("hv_vcpu") if r["vm"] == vm)
        assert received == sum(r["kicks_sent"] for r in mine), run.context()


def test_grub_loader_still_boots(backend_boot):
    """--loader grub (a GRUB ISO, the bare-metal path) boots under Bochs too."""
    run = backend_boot("vmx", smp=1, args="vms=1 vcpus=1 task=smp mem=8M", loader="grub")
    run.assert_passed(smp=1, vms=1, vcpus=1)
    assert run.records[0]["loader"] == "multiboot2", run.context()


def test_16_pcpus_boot_and_every_pcpu_runs_a_vcpu(backend_boot):
    """Bochs 2.7 has room for 64 timers, 3 per CPU and 3 per serial port: at
    16 CPUs the bochsrc of pvhv_run had none left and Bochs stopped before
    the BIOS ("register_timer: too many registered timers"). Without COM2
    and the HPET it boots, and the verdict comes from LPT1. 16 pCPUs, one VM
    of 16 vCPUs: every vCPU comes up and every pCPU enters a guest (the
    exit-rate figure of issue 12 item 6 is taken at this shape)."""
    run = backend_boot("vmx", smp=16, args="vms=1 vcpus=16 task=smp,hcall duration=20 mem=8M")
    run.assert_passed(smp=16, vms=1, vcpus=16)
    assert run.kind("smp")[0]["vcpus_up"] == 16, run.context()
    pcpus = run.kind("pcpu")
    assert sorted(r["pcpu"] for r in pcpus) == list(range(16)), run.context()
    assert all(r["vmruns"] > 0 for r in pcpus), run.context()
    calls = [r["calls"] for r in run.kind("hcall_vcpu")]
    assert len(calls) == 16 and min(calls) > 0, run.context()
