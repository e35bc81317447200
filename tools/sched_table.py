#!/usr/bin/python3
"""The per-policy table of issue 12 from serial logs of lockstress runs
(a `make bench-sched` results folder's logs/*.log): one row per host
policy (sched, plus kick_yield=on or lock_grace=N when set) and
over-commit level k, with for ticket and pvticket the mean throughput per
VM, the efficiency against the fair share (per-VM throughput at k-x
divided by T1x/k of the same policy and lock), Jain's index over the VMs'
throughputs, the spin waste (mean over the VMs of lock_vm.spin_waste: the
share of their lock time spent spinning or halted), and the lock-holder
preemptions counted by the hypervisor (vm.lhp summed over the VMs). With
several runs per cell (repeats) every number is the mean over the runs.

    /usr/bin/python3 tools/sched_table.py results/sched-*/logs/*.log
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_report  # noqa: E402
import pvhv_log  # noqa: E402

LOCKS = ("ticket", "pvticket")
POLICY_ORDER = ("rr", "gang", "cfs")


def policy_of(cfg):
    """The row label of a run's configuration."""
    name = str(cfg.get("sched"))
    if cfg.get("kick_yield") == "on":
        name += " + kick_yield"
    if cfg.get("lock_grace"):
        name += f" + lock_grace={cfg['lock_grace']}"
    return name


def one_run(path):
    """(policy, lock, k, numbers) of one log, or None if it is no
    single-kind lockstress run that reported every VM."""
    recs = pvhv_log.parse_file(Path(path))
    run = pvhv_log.first(recs, "run")
    if not run:
        return None
    cfg = run["config"]
    k = int(cfg["vms"])
    lock_vm = sorted(pvhv_log.of_kind(recs, "lock_vm"), key=lambda r: r.get("vm", 0))
    if cfg.get("task") != "lockstress" or cfg.get("lock") not in LOCKS or len(lock_vm) != k:
        return None
    tput = [r["throughput"] for r in lock_vm]
    return policy_of(cfg), cfg["lock"], k, {
        "tput": statistics.mean(tput),
        "jain": bench_report.jain(tput),
        "waste": statistics.mean(r["spin_waste"] for r in lock_vm),
        "lhp": sum(r.get("lhp", 0) for r in pvhv_log.of_kind(recs, "vm")),
    }


def collect(paths):
    """{(policy, lock, k): [numbers of each run]}."""
    cells = {}
    for p in paths:
        got = one_run(p)
        if got:
            cells.setdefault(got[:3], []).append(got[3])
    return cells


def cell_mean(runs, key):
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.mean(values) if values else None


def table(cells):
    policies = sorted({c[0] for c in cells},
                      key=lambda p: (POLICY_ORDER.index(p.split()[0])
                                     if p.split()[0] in POLICY_ORDER else len(POLICY_ORDER), p))
    head = "| policy | k |"
    for lock in LOCKS:
        head += f" {lock} acq/s per VM | eff | Jain | spin waste | LHP |"
    out = [head, "|" + " --- |" * (2 + 5 * len(LOCKS))]
    for pol in policies:
        for k in sorted({c[2] for c in cells if c[0] == pol}):
            row = f"| {pol} | {k}x |"
            for lock in LOCKS:
                runs, one = cells.get((pol, lock, k)), cells.get((pol, lock, 1))
                if not runs:
                    row += " | | | | |"
                    continue
                t = cell_mean(runs, "tput")
                eff = f"{t * k / cell_mean(one, 'tput'):.2f}" if one and k > 1 else "-"
                j = cell_mean(runs, "jain") if k > 1 else None
                row += (f" {t:.0f} | {eff} | {'-' if j is None else f'{j:.2f}'} | "
                        f"{cell_mean(runs, 'waste'):.2f} | {cell_mean(runs, 'lhp'):.0f} |")
            out.append(row)
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("logs", nargs="+", help="serial logs of lockstress runs")
    a = ap.parse_args(argv)
    cells = collect(a.logs)
    if not cells:
        print("sched_table: no lockstress run of ticket or pvticket in these logs",
              file=sys.stderr)
        return 1
    print(table(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
