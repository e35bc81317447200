#!/usr/bin/python3
"""The lock-zoo table from serial logs of lockstress runs: one row per lock
kind and over-commit level with throughput per VM, efficiency against the
fair share (per-VM throughput at k-x divided by T1x/k of the same kind),
Jain's fairness index over the vCPUs of a VM, halts, kicks, steals and the
mutual-exclusion-checked acquisitions. Each log may hold one or several
lockstress phases (lock= with a list); k is the run's VM count.

    /usr/bin/python3 tools/zoo_table.py results/zoo/*.log

Used for the README's zoo results under Bochs (see README, Results), until
make bench itself runs under Bochs.
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_report  # noqa: E402
import pvhv_log  # noqa: E402

ORDER = ["ticket", "pvticket", "tas", "mcs", "qspin", "pvqspin", "pticket"]


def collect(paths):
    """{(lock, k): cell} summed over every log and phase given."""
    cells = {}
    for p in paths:
        recs = pvhv_log.parse_file(Path(p))
        run = pvhv_log.first(recs, "run")
        k = int(run["config"]["vms"]) if run else len(pvhv_log.of_kind(recs, "vm"))
        for r in pvhv_log.of_kind(recs, "lock_vm"):
            c = cells.setdefault((r["lock"], k), {"tput": [], "acq": 0, "viol": 0,
                                                  "vcpu": [], "logs": set()})
            c["tput"].append(r["throughput"])
            c["acq"] += r["acquisitions"]
            c["viol"] += r["violations"] + r["counter_mismatches"]
            c["logs"].add(str(p))
        for r in pvhv_log.of_kind(recs, "lock_vcpu"):
            c = cells.setdefault((r["lock"], k), {"tput": [], "acq": 0, "viol": 0,
                                                  "vcpu": [], "logs": set()})
            # one VM per (log, vm): Jain is per VM, never across VMs or runs
            c["vcpu"].append(dict(r, vm=(str(p), r.get("vm", 0))))
    return cells


def table(cells):
    out = ["| lock | k | throughput/VM (acq/s) | fair share | Jain (vCPUs) | halts | kicks "
           "| steals | acquisitions | violations |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    total = viol = 0
    locks = [lk for lk in ORDER if any(c[0] == lk for c in cells)] + \
        sorted({c[0] for c in cells} - set(ORDER))
    for lock in locks:
        for k in sorted(k for (lk, k) in cells if lk == lock):
            c = cells[(lock, k)]
            t = statistics.mean(c["tput"])
            one = cells.get((lock, 1))
            eff = f"{t * k / statistics.mean(one['tput']):.2f}" if one else "-"
            j = bench_report.jain_per_vm(c["vcpu"])
            s = lambda f: sum(r.get(f, 0) for r in c["vcpu"])  # noqa: E731
            out.append(f"| {lock} | {k}x | {t:.0f} | {eff} | "
                       f"{j:.3f} | {s('halts')} | {s('kicks_sent')} | {s('steals')} | "
                       f"{c['acq']} | {c['viol']} |")
            total += c["acq"]
            viol += c["viol"]
    out.append("")
    out.append(f"{total} mutual-exclusion-checked acquisitions, {viol} violations.")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("logs", nargs="+", help="serial logs of lockstress runs")
    a = ap.parse_args(argv)
    print(table(collect(a.logs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
