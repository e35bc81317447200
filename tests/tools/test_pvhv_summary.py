"""tools/pvhv_summary.py: the per-VM lines `make run` ends with, from a
recorded lockstress log (fixtures/lockstress_2x.log) and synthetic records."""

import pvhv_log
import pvhv_summary


def test_one_line_per_vm_from_recorded_log(fixtures):
    records = pvhv_log.parse_file(fixtures / "lockstress_2x.log")
    vms = sorted(pvhv_log.of_kind(records, "lock_vm"), key=lambda r: r["vm"])
    lines = pvhv_summary.lines(records)
    assert len(lines) == len(vms) == 2
    for line, vm in zip(lines, vms):
        mine = [r for r in pvhv_log.of_kind(records, "lock_vcpu") if r["vm"] == vm["vm"]]
        assert line.startswith(f"vm{vm['vm']}: {vm['lock']} {vm['throughput']}/s")
        assert f"halts {sum(r['halts'] for r in mine)}," in line
        assert f"kicks {sum(r['kicks_sent'] for r in mine)}," in line
        assert f"violations {vm['violations']}" in line
        assert "fair share n/a" in line and "spin waste n/a" in line


def test_fair_share_and_spin_waste_when_known():
    records = [{"kind": "run", "pcpus": 2, "config": {"lock": "pvticket"}},
               {"kind": "vm", "vm": 0, "vcpus": 2}, {"kind": "vm", "vm": 1, "vcpus": 2},
               {"kind": "lock_vm", "vm": 0, "lock": "pvticket", "throughput": 450,
                "violations": 0, "spin_waste": 0.25},
               {"kind": "lock_vcpu", "vm": 0, "halts": 3, "kicks_sent": 2}]
    (line,) = pvhv_summary.lines(records, baseline=1000)
    # 2 VMs x 2 vCPUs on 2 pCPUs: 2x, fair share 500/s, 450/s is 0.90 of it.
    assert "0.90 of fair share" in line and "spin waste 25.0%" in line
    assert "halts 3, kicks 2, violations 0" in line
