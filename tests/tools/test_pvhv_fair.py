"""tools/pvhv_fair.py: per-VM CPU time and throughput with Jain's index
(issue 12 item 7), from synthetic records and the recorded 2x log."""

import pytest

import pvhv_fair
import pvhv_log


def test_jain_bounds():
    assert pvhv_fair.jain([5, 5, 5, 5]) == pytest.approx(1.0)
    assert pvhv_fair.jain([1, 0, 0, 0]) == pytest.approx(0.25)
    # The previous session's 16-pCPU 4x TCG run: 224/765/1225/5082 acq/s.
    assert pvhv_fair.jain([224, 765, 1225, 5082]) == pytest.approx(0.4759, abs=1e-4)
    assert pvhv_fair.jain([]) is None and pvhv_fair.jain([0, 0]) is None


def _records():
    hz = 1_000_000_000
    recs = [{"kind": "run", "pcpus": 2, "config": {"sched": "cfs", "vms": 2, "vcpus": 2,
                                                   "duration": 100}},
            {"kind": "vm", "vm": 0, "vcpus": 2}, {"kind": "vm", "vm": 1, "vcpus": 2}]
    # VM 0: 2 vCPUs x 100 ms asked, 100 ms of it runnable off-CPU (steal),
    # 20 ms halted: 80 ms on a pCPU. VM 1: 50 ms steal, 10 ms halted: 140.
    for vm, run, halt, tput in ((0, 100, 20, 1000), (1, 150, 10, 3000)):
        recs.append({"kind": "lock_vm", "vm": vm, "phase": 0, "vcpus": 2, "tsc_hz": hz,
                     "throughput": tput, "run_cycles": run * hz // 1000,
                     "halt_cycles": halt * hz // 1000})
        for v in range(2):
            recs.append({"kind": "hv_vcpu", "vm": vm, "vcpu": v, "run_ns": 50_000_000,
                         "runnable_ns": 10_000_000, "blocked_ns": 0})
    return recs


def test_per_vm_columns():
    rows = pvhv_fair.per_vm(_records())
    assert rows[0]["oncpu_ms"] == pytest.approx(80) and rows[1]["oncpu_ms"] == pytest.approx(140)
    assert rows[0]["run_ms"] == pytest.approx(100) and rows[1]["runnable_ms"] == pytest.approx(20)
    j = pvhv_fair.jains(rows)
    assert j["run_ms"] == pytest.approx(1.0)
    assert j["acq/s"] == pytest.approx(16 / 20)            # (4000^2) / (2 x 10^7)
    assert j["oncpu_ms"] == pytest.approx(220 ** 2 / (2 * (80 ** 2 + 140 ** 2)))
    assert "tlb/s" not in j and "hog_Mrounds" not in j


def test_hog_rounds():
    recs = [{"kind": "vm", "vm": 0}, {"kind": "vm", "vm": 1},
            {"kind": "hog_vm", "vm": 0, "rounds": 3_000_000},
            {"kind": "hog_vm", "vm": 1, "rounds": 1_000_000}]
    rows = pvhv_fair.per_vm(recs)
    assert rows[1]["hog_Mrounds"] == pytest.approx(1.0)
    assert pvhv_fair.jains(rows)["hog_Mrounds"] == pytest.approx(16 / 20)


def test_table_from_recorded_log(fixtures):
    records = pvhv_log.parse_file(fixtures / "lockstress_2x.log")
    lines = pvhv_fair.table(records)
    vms = pvhv_log.of_kind(records, "vm")
    assert len(lines) == 2 + len(vms) + 1
    assert lines[-1].startswith("| Jain | ")
    assert "acq/s" in lines[0] and "run_ms" in lines[0]


def test_trace_window_from_recorded_trace(fixtures):
    # Bochs, 2 pCPUs, 2x: the two VMs share the 2 pCPUs.
    records = pvhv_log.parse_file(fixtures / "trace_bochs_2x.log")
    t0, t1, per = pvhv_fair.trace_window(records)
    assert 0 < t0 < t1
    assert sorted(per) == [0, 1]
    assert sum(per.values()) == pytest.approx(2.0, abs=0.05)   # both pCPUs busy
    (line,) = pvhv_fair.trace_lines(records)
    assert line.startswith("trace: ") and "Jain" in line


def test_trace_window_needs_overlap():
    info = {"kind": "trace_info", "tsc_hz": 1000, "epoch_tsc": 0,
            "types": ["in", "out", "kick", "ipi_not_running", "lhp", "waiter_preempt"],
            "out_reasons": ["preempt", "yield", "block", "stop"]}
    # VM 0's lock window ends (t=20) before VM 1's begins (t=30).
    trace = {"kind": "trace", "pcpu": 0, "batch": 0, "first": 0,
             "ev": [[10, 5, 0, 0, 0], [10, 5, 0, 0, 0], [10, 5, 1, 0, 0], [10, 5, 1, 0, 0]]}
    assert pvhv_fair.trace_window([info, trace]) is None
    assert pvhv_fair.trace_lines([info, trace]) == ["trace: no common lockstress window"]
