#!/usr/bin/python3
"""Fairness between VMs in one pvhv run (issue 12 item 7): per VM what the
scheduler gave it and what the VM did with it, and Jain's index over the
VMs for each.

    pvhv_fair.py LOG [LOG ...] [--phase N] [--trace]

Why both: the scheduler's responsibility is the CPU time it hands out;
throughput also depends on what the guest's lock does with that time (a
VM whose pv lock convoys halts its vCPUs and so also asks for less). The
columns, per VM:

- `acq/s`: lockstress `lock_vm.throughput` (stress window);
- `oncpu_ms`: lockstress on-CPU time in the stress window, the sum over the
  VM's vCPUs of `run_cycles - halt_cycles` (the guest's TSC spans minus its
  steal time, minus the halts: the time it held a pCPU), in ms of TSC time;
- `run_ms`, `runnable_ms`, `blocked_ms`: the hypervisor's own `hv_vcpu`
  state times over the whole run (boot, every task, the end barrier);
- `tlb/s`: tlbstress `tlb_vm.throughput`, when it ran;
- `hog_Mrounds`: task=hog's loop rounds (`hog_vm.rounds`, millions) in
  each vCPU's `duration`: work done, with no lock in the way, so under an
  emulator it shows the guest instructions the VM really executed.

With `--trace` (a run made with `trace=on`, lockstress) it also gives,
from the hypervisor's own trace, each VM's pCPU time inside the window
all VMs were in lockstress at once: from the last VM's first to the
first VM's last lock-holder or waiter preemption (events only a
lockstress vCPU produces). The guest's stress windows do not coincide
(under multi-threaded TCG the VMs' boots drift apart by seconds), so only
that common window compares like with like.

Jain's index over n values x is (sum x)^2 / (n sum x^2): 1 when all are
equal, 1/n when one VM has everything. Under QEMU TCG these are counts
and shares of guest TSC time, not timings.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pvhv_log  # noqa: E402

NS_PER_MS = 1e6
COLUMNS = ["acq/s", "oncpu_ms", "run_ms", "runnable_ms", "blocked_ms", "tlb/s",
           "hog_Mrounds"]


def jain(values):
    """Jain's fairness index over `values` (None if empty or all zero)."""
    xs = [float(v) for v in values]
    sq = sum(x * x for x in xs)
    if not xs or sq == 0:
        return None
    return sum(xs) ** 2 / (len(xs) * sq)


def _ms(cycles, hz):
    return cycles * 1000.0 / hz if hz else None


def per_vm(records, phase=0):
    """{vm: {column: value}} for the run's VMs (columns absent when the
    task did not run)."""
    rows = {}
    for r in pvhv_log.of_kind(records, "vm"):
        rows[r["vm"]] = {}
    for r in pvhv_log.of_kind(records, "lock_vm"):
        if r.get("phase", 0) != phase:
            continue
        row = rows.setdefault(r["vm"], {})
        row["acq/s"] = r.get("throughput")
        hz = r.get("tsc_hz")
        if "run_cycles" in r and "halt_cycles" in r:
            row["oncpu_ms"] = _ms(max(r["run_cycles"] - r["halt_cycles"], 0), hz)
    for r in pvhv_log.of_kind(records, "hv_vcpu"):
        row = rows.setdefault(r["vm"], {})
        for key, col in (("run_ns", "run_ms"), ("runnable_ns", "runnable_ms"),
                         ("blocked_ns", "blocked_ms")):
            if key in r:
                row[col] = row.get(col, 0.0) + r[key] / NS_PER_MS
    for r in pvhv_log.of_kind(records, "tlb_vm"):
        rows.setdefault(r["vm"], {})["tlb/s"] = r.get("throughput")
    for r in pvhv_log.of_kind(records, "hog_vm"):
        rows.setdefault(r["vm"], {})["hog_Mrounds"] = r.get("rounds", 0) / 1e6
    return rows


def jains(rows):
    """{column: Jain over the VMs} for every column all VMs have."""
    out = {}
    for col in COLUMNS:
        vals = [row.get(col) for row in rows.values()]
        if vals and all(v is not None for v in vals):
            out[col] = jain(vals)
    return out


def trace_window(records):
    """(t0_ms, t1_ms, {vm: pCPUs' worth of time run in [t0, t1]}) from a
    trace=on lockstress run; None if the VMs' lock windows do not overlap."""
    import pvhv_trace
    tr = pvhv_trace.load(records)
    first, last = {}, {}
    for evs in tr.events.values():
        for e in evs:
            if e.type in ("lhp", "waiter_preempt"):
                first[e.vm] = min(first.get(e.vm, e.tsc), e.tsc)
                last[e.vm] = max(last.get(e.vm, e.tsc), e.tsc)
    if not first:
        return None
    t0, t1 = max(first.values()), min(last.values())
    if t1 <= t0:
        return None
    ran = {vm: 0 for vm in first}
    for runs in pvhv_trace.intervals(tr).values():
        for start, end, vm, _vcpu, _why in runs:
            a, b = max(start, t0), min(end, t1)
            if b > a:
                ran[vm] = ran.get(vm, 0) + b - a
    return tr.ms(t0), tr.ms(t1), {vm: c / (t1 - t0) for vm, c in ran.items()}


def trace_lines(records):
    """One line: the common window and each VM's pCPUs' worth, with Jain."""
    got = trace_window(records)
    if got is None:
        return ["trace: no common lockstress window"]
    t0, t1, per = got
    vals = " ".join(f"vm{vm} {per[vm]:.2f}" for vm in sorted(per))
    return [f"trace: {t0:.0f}-{t1:.0f} ms, pCPUs' worth per VM: {vals}; "
            f"Jain {jain(per.values()):.3f}"]


def _fmt(v):
    if v is None:
        return "-"
    return f"{v:.0f}" if abs(v) >= 10 else f"{v:.2f}"


def table(records, phase=0):
    """Markdown lines: one row per VM, then the Jain row."""
    rows = per_vm(records, phase)
    cols = [c for c in COLUMNS if any(c in row for row in rows.values())]
    out = ["| vm | " + " | ".join(cols) + " |", "| --- |" + " --- |" * len(cols)]
    for vm in sorted(rows):
        out.append(f"| {vm} | " + " | ".join(_fmt(rows[vm].get(c)) for c in cols) + " |")
    j = jains(rows)
    out.append("| Jain | " + " | ".join(
        "-" if j.get(c) is None else f"{j[c]:.2f}" for c in cols) + " |")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="Per-VM CPU time and throughput, with Jain's index.")
    ap.add_argument("logs", nargs="+")
    ap.add_argument("--phase", type=int, default=0, help="lockstress phase (lock= list)")
    ap.add_argument("--trace", action="store_true",
                    help="also each VM's pCPU time in the common lockstress window (trace=on)")
    opts = ap.parse_args(argv)
    for path in opts.logs:
        records = pvhv_log.parse_file(path)
        cfg = (pvhv_log.first(records, "run") or {}).get("config") or {}
        end = pvhv_log.last(records, "end") or {}
        print(f"{path}: sched={cfg.get('sched')} pcpus="
              f"{(pvhv_log.first(records, 'run') or {}).get('pcpus')} "
              f"vms={cfg.get('vms')} vcpus={cfg.get('vcpus')} end={end.get('status')}")
        for line in table(records, opts.phase):
            print(line)
        if opts.trace:
            for line in trace_lines(records):
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
