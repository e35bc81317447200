#!/usr/bin/python3
"""Benchmark results: one row per run from its serial log, runs.csv, and the
summary.md tables (medians with min-max per cell, speed-ups, efficiency
against the ideal fair share).

Rows are plain dicts so the arithmetic is testable on synthetic rows: the
columns are ROW_HEAD, then the dimension keys (task, lock, sched, ...), then
ROW_TAIL. A metric is a number or None when the log does not carry it.
"""

import csv
import os
import statistics
from pathlib import Path

import pvhv_log
import pvhv_options
import bench_matrix
from bench_matrix import WITHOUT_KEY

ROW_HEAD = ["experiment", "cell", "config", "overcommit", "vms", "vcpus", "pcpus"]
ROW_TAIL = ["repeat", "seed", "duration", "status", "reason",
            "throughput_vm_mean", "throughput_total", "throughput_vms",
            "lock_p50", "lock_p99", "jain_vcpu", "acquisitions", "violations",
            "spin_waste", "spin_frac", "halt_frac", "lhp", "waiter_preempt",
            "halts", "kicks", "ple_exits", "directed_yields",
            "tlb_shootdowns", "tlb_throughput_vm_mean", "tlb_p50", "tlb_p99",
            "tlb_ipis_avoided", "stale_reads", "wall_s", "cmdline", "log"]
DIM_ORDER = ["task", "lock", "sched", "ple", "tlb"]
NOT_DIMS = set(ROW_HEAD) | set(ROW_TAIL)

# The metric a table and plot show for a task, and whether higher is better.
METRICS = {
    "throughput_vm_mean": ("throughput per VM (acquisitions/s)", True),
    "tlb_throughput_vm_mean": ("TLB shootdowns per VM (per s)", True),
    "tlb_p50": ("TLB shootdown latency p50 (TSC cycles)", False),
}
DETAIL = [("throughput_vm_mean", "tput/VM"), ("throughput_total", "tput total"),
          ("lock_p50", "lock p50"), ("lock_p99", "lock p99"),
          ("jain_vcpu", "Jain (vCPUs)"), ("spin_waste", "spin waste"),
          ("spin_frac", "spinning"), ("halt_frac", "halted"),
          ("lhp", "holder preempted"), ("waiter_preempt", "waiter preempted"),
          ("halts", "halts"),
          ("kicks", "kicks"), ("ple_exits", "PLE exits"),
          ("directed_yields", "directed yields"), ("tlb_shootdowns", "shootdowns"),
          ("tlb_throughput_vm_mean", "shootdowns/s/VM"), ("tlb_p50", "tlb p50"),
          ("tlb_p99", "tlb p99"), ("tlb_ipis_avoided", "IPIs avoided"),
          ("stale_reads", "stale reads"), ("wall_s", "wall s")]
MAX_FAILED_NOTES = 10
STALE_FIELDS = ("stale_reads", "stale", "stale_translations", "stale_errors")


# --- one run ---------------------------------------------------------------

def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _nums(values):
    return [v for v in (_num(x) for x in values) if v is not None]


def _path(record, dotted):
    value = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return _num(value)


def _sum(values):
    values = _nums(values)
    return sum(values) if values else None


def _median(values):
    values = _nums(values)
    return statistics.median(values) if values else None


def jain(values):
    """Jain's fairness index (sum x)^2 / (n sum x^2): 1.0 when every x is
    equal, 1/n when one takes everything; None without data."""
    xs = _nums(values)
    sq = sum(x * x for x in xs)
    return sum(xs) ** 2 / (len(xs) * sq) if xs and sq else None


def jain_per_vm(lock_vcpu):
    """Mean over the VMs of Jain's index over each VM's vCPUs' acquisitions:
    how evenly a lock shares itself among the vCPUs that contend for it."""
    per_vm = {}
    for r in lock_vcpu:
        per_vm.setdefault(r.get("vm", 0), []).append(r.get("acquisitions"))
    idx = [j for j in (jain(v) for v in per_vm.values()) if j is not None]
    return statistics.mean(idx) if idx else None


def metrics(records):
    """The per-run numbers of runs.csv from a run's records."""
    out = {}
    lock_vm = pvhv_log.of_kind(records, "lock_vm")
    tput = _nums(r.get("throughput") for r in sorted(lock_vm, key=lambda r: r.get("vm", 0)))
    out["throughput_vm_mean"] = statistics.mean(tput) if tput else None
    out["throughput_total"] = sum(tput) if tput else None
    out["throughput_vms"] = ";".join(str(t) for t in tput) if tput else None
    lock_vcpu = pvhv_log.of_kind(records, "lock_vcpu")
    out["lock_p50"] = _median(_path(r, "latency.p50") for r in lock_vcpu)
    out["lock_p99"] = _median(_path(r, "latency.p99") for r in lock_vcpu)
    out["jain_vcpu"] = jain_per_vm(lock_vcpu)
    out["acquisitions"] = _sum(r.get("acquisitions") for r in lock_vm)
    out["violations"] = _sum((_num(r.get("violations")) or 0) +
                             (_num(r.get("counter_mismatches")) or 0) for r in lock_vm)
    # Spin waste: each VM's share of its vCPUs' run time spent waiting for
    # locks (spinning + halted in the pv slow path), averaged over the VMs
    # like throughput; preemptions of lock holders and of waiters whose
    # ticket came up, summed over the VMs (the guest's counts, which a
    # system test checks against the hypervisor's).
    for f in ("spin_waste", "spin_frac", "halt_frac"):
        v = _nums(r.get(f) for r in lock_vm)
        out[f] = statistics.mean(v) if v else None
    out["lhp"] = _sum(r.get("lhp") for r in lock_vm)
    out["waiter_preempt"] = _sum(r.get("waiter_preempt") for r in lock_vm)
    out["halts"] = _sum(r.get("halts") for r in lock_vcpu)
    out["kicks"] = _sum(r.get("kicks_sent") for r in lock_vcpu)
    hv = pvhv_log.of_kind(records, "hv_vcpu")
    out["ple_exits"] = _sum(_path(r, "exits.pause") for r in hv)
    out["directed_yields"] = _sum(r.get("directed_yields") for r in hv)
    tlb = pvhv_log.of_kind(records, "tlb_vcpu")
    writers = [r for r in tlb if (_num(r.get("shootdowns")) or 0) > 0]
    out["tlb_shootdowns"] = _sum(r.get("shootdowns") for r in tlb)
    out["tlb_p50"] = _median(_path(r, "latency.p50") for r in writers)
    out["tlb_p99"] = _median(_path(r, "latency.p99") for r in writers)
    out["tlb_ipis_avoided"] = _sum(r.get("targets_skipped", r.get("ipis_avoided")) for r in tlb)
    tlb_vm = pvhv_log.of_kind(records, "tlb_vm")
    stale = None
    for f in STALE_FIELDS:
        stale = _sum(r.get(f) for r in (tlb or tlb_vm))
        if stale is not None:
            break
    out["stale_reads"] = stale
    # Shootdowns per second of the writers' stress window (the guest's
    # `throughput`, or window_shootdowns over window_cycles), never over
    # elapsed_cycles: that runs to the end barrier, which waits for every
    # vCPU and, under Bochs, for another VM's reports. A log without the
    # window fields (before they existed) has no rate.
    rates = []
    for r in tlb_vm:
        rate = _num(r.get("throughput"))
        n, cycles, hz = (_num(r.get("window_shootdowns")), _num(r.get("window_cycles")),
                         _num(r.get("tsc_hz")))
        if rate is None and n is not None and cycles and hz:
            rate = n * hz / cycles
        if rate is not None:
            rates.append(rate)
    out["tlb_throughput_vm_mean"] = statistics.mean(rates) if rates else None
    return out


def classify(records, meta, passed_keys, dims):
    """(status, reason): pass, fail or unsupported.

    unsupported: the hypervisor refused a key the matrix put on the command
    line (an `error` record naming it). fail: anything else that is not a
    clean pass, including a run killed before its `end` record.
    """
    for err in pvhv_log.of_kind(records, "error"):
        what = f"{err.get('key')}={err.get('value')}"
        msg = str(err.get("message", ""))
        what = msg if msg.startswith(what) else f"{what}: {msg}".rstrip(": ")
        if err.get("key") in passed_keys:
            return "unsupported", what
        return "fail", what
    end = pvhv_log.last(records, "end")
    if end is None:
        return "fail", (meta or {}).get("reason") or "no end record (killed or interrupted)"
    if end.get("status") != "pass":
        return "fail", f"end status {end.get('status')}: {end.get('reason', '')}"
    if meta and meta.get("rc") not in (0, None):
        return "fail", meta.get("reason") or f"pvhv_run exit {meta.get('rc')}"
    run = pvhv_log.first(records, "run") or {}
    config = run.get("config") if isinstance(run.get("config"), dict) else {}
    for key, value in dims.items():
        if key in config and str(config[key]) != str(value):
            return "fail", f"effective config {key}={config[key]} but the cell asks {value}"
    return "pass", end.get("reason", "")


def row(run, pcpus, records, meta, log_path):
    """One runs.csv row for `run` (a bench_matrix.Run)."""
    cell = run.cell
    words = (meta or {}).get("cmdline", "")
    passed = {w.split("=")[0] for w in words.split()} | set(cell.dims)
    status, reason = classify(records, meta, passed, cell.dims)
    r = {"experiment": cell.experiment, "cell": cell.id, "config": cell.label,
         "overcommit": cell.k, "vms": max(cell.k, 1), "vcpus": pcpus, "pcpus": pcpus}
    r.update(cell.dims)
    r.update({"repeat": run.rep, "seed": run.seed, "duration": run.duration,
              "status": status, "reason": reason})
    r.update(metrics(records))
    r.update({"wall_s": (meta or {}).get("wall_s"), "cmdline": words, "log": log_path})
    return r


def columns(rows):
    dims = []
    for r in rows:
        for k in r:
            if k not in NOT_DIMS and k not in dims:
                dims.append(k)
    dims.sort(key=lambda k: (DIM_ORDER.index(k) if k in DIM_ORDER else len(DIM_ORDER), k))
    return ROW_HEAD + dims + ROW_TAIL


def write_csv(rows, path):
    """runs.csv, written to a temporary name and renamed into place."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        cols = columns(rows)
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if r.get(c) is None else
                        (f"{r[c]:.6g}" if isinstance(r[c], float) else r[c]) for c in cols])
    os.replace(tmp, path)


# --- aggregation -----------------------------------------------------------

def dim_keys(rows):
    return [c for c in columns(rows) if c not in NOT_DIMS]


def stats(values):
    """(median, min, max, n) of the numbers in `values`, or None."""
    values = _nums(values)
    if not values:
        return None
    return statistics.median(values), min(values), max(values), len(values)


def primary_metric(rows):
    """The metric the headline table and plot of an experiment show."""
    ok = [r for r in rows if r.get("status") == "pass"]
    for m in METRICS:
        if any(_num(r.get(m)) is not None for r in ok):
            return m
    tlb = any(r.get("task") == "tlbstress" for r in rows)
    return "tlb_throughput_vm_mean" if tlb else "throughput_vm_mean"


def configs(rows):
    """Configuration labels in first-appearance order, each with its dims."""
    out = {}
    keys = dim_keys(rows)
    for r in rows:
        out.setdefault(r["config"], {k: r.get(k) for k in keys if r.get(k) not in (None, "")})
    return out


def levels(rows):
    return sorted({int(r["overcommit"]) for r in rows})


def cell_stats(rows, metric):
    """{(config, k): stats} over the passing runs."""
    groups = {}
    for r in rows:
        if r.get("status") == "pass":
            groups.setdefault((r["config"], int(r["overcommit"])), []).append(r.get(metric))
    return {key: s for key, s in ((k, stats(v)) for k, v in groups.items()) if s}


def contrast(rows):
    """(key, reference, baseline) the speed-up table compares, or None:
    pvticket against ticket, else pv TLB flush against native."""
    cfgs = configs(rows)
    for key, ref, base in (("lock", "pvticket", "ticket"), ("tlb", "pv", "native")):
        values = {d.get(key) for d in cfgs.values()}
        if {ref, base} <= values:
            return key, ref, base
    return None


def speedups(rows, metric=None):
    """Speed-up of the reference configuration over each baseline, per level.

    Returns (reference label, {baseline label: {k: ratio}}). The reference is
    the one with the contrast key at its reference value and every other
    dimension at its default (rr, PLE off); baselines are all configurations
    with the baseline value. Ratio > 1: the reference is better (higher
    throughput, or lower latency for a latency metric)."""
    c = contrast(rows)
    if c is None:
        return None
    key, ref, base = c
    metric = metric or primary_metric(rows)
    higher = METRICS.get(metric, ("", True))[1]
    cfgs = configs(rows)
    refs = [lab for lab, d in cfgs.items() if d.get(key) == ref]
    plain_dims = dict(WITHOUT_KEY, lock=pvhv_options.default("lock"))
    plain = [lab for lab in refs
             if all(v == plain_dims.get(k, v) for k, v in cfgs[lab].items() if k not in (key, "task"))]
    if not refs:
        return None
    reference = (plain or refs)[0]
    st = cell_stats(rows, metric)
    table = {}
    for lab, d in cfgs.items():
        if d.get(key) != base:
            continue
        table[lab] = {}
        for k in levels(rows):
            a, b = st.get((reference, k)), st.get((lab, k))
            if a and b and a[0] and b[0]:
                table[lab][k] = a[0] / b[0] if higher else b[0] / a[0]
    return reference, table


def efficiency(rows, metric="throughput_vm_mean"):
    """{config: {k: median_k * k / median_1x}}: per-VM throughput at k-x
    over-commit against the ideal fair share T1x / k of the same
    configuration (1.0 = as good as a fair 1/k slice of the 1x run)."""
    st = cell_stats(rows, metric)
    out = {}
    for lab in configs(rows):
        one = st.get((lab, 1))
        if not one or not one[0]:
            continue
        out[lab] = {k: st[(lab, k)][0] * k / one[0]
                    for k in levels(rows) if (lab, k) in st}
    return out


# --- Markdown --------------------------------------------------------------

def fmt(x):
    if x is None:
        return "-"
    if isinstance(x, float) and not x.is_integer() and abs(x) < 100:
        return f"{x:.3g}"
    return f"{x:.0f}"


def fmt_stats(s):
    if not s:
        return "-"
    med, lo, hi, _ = s
    return fmt(med) if lo == hi else f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})"


def table(header, body):
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    return "\n".join([line(header), line(["---"] + ["---:"] * (len(header) - 1))]
                     + [line(r) for r in body])


def headline(rows, metric=None):
    """Configurations down, over-commit levels across: median (min–max)."""
    metric = metric or primary_metric(rows)
    st = cell_stats(rows, metric)
    lv = levels(rows)
    body = [[lab] + [fmt_stats(st.get((lab, k))) for k in lv] for lab in configs(rows)]
    return table(["configuration"] + [bench_matrix.level_name(k) for k in lv], body)


def spin_waste_table(rows):
    """Configurations down, levels across: 'spin waste (spinning + halted)
    holder/waiter preemptions', or None when no run reports spin waste."""
    st = {m: cell_stats(rows, m) for m in ("spin_waste", "spin_frac", "halt_frac",
                                           "lhp", "waiter_preempt")}
    if not st["spin_waste"]:
        return None
    lv = levels(rows)

    def cell(lab, k):
        w = st["spin_waste"].get((lab, k))
        if not w:
            return "-"
        s, h = st["spin_frac"].get((lab, k)), st["halt_frac"].get((lab, k))
        lhp, wp = st["lhp"].get((lab, k)), st["waiter_preempt"].get((lab, k))
        text = f"{w[0]:.2f}"
        if s and h:
            text += f" ({s[0]:.2f} + {h[0]:.2f})"
        if lhp and wp:
            text += f"; {lhp[0]:.0f} / {wp[0]:.0f}"
        return text
    body = [[lab] + [cell(lab, k) for k in lv] for lab in configs(rows)]
    return table(["configuration"] + [bench_matrix.level_name(k) for k in lv], body)


def experiment_section(name, rows, plots=()):
    metric = primary_metric(rows)
    title, higher = METRICS[metric]
    task = sorted({str(r.get("task")) for r in rows if r.get("task")})
    ok = [r for r in rows if r["status"] == "pass"]
    out = [f"## Experiment `{name}`" + (f" (task {', '.join(task)})" if task else ""), ""]
    if not ok:
        return out + [f"None of its {len(rows)} runs passed.", ""] + notes(rows)
    out += [f"{len(ok)} of {len(rows)} runs passed. {title}, median (min–max) over the "
            "passing repeats:", "", headline(rows, metric), ""]
    for p in plots:
        out += [f"![{name}]({p})", ""]
    sp = speedups(rows, metric)
    if sp and any(sp[1].values()):
        reference, tab = sp
        lv = levels(rows)
        out += [f"Speed-up of `{reference}` (median over median; > 1: `{reference}` "
                f"{'faster' if higher else 'lower latency'}):", "",
                table(["over-commit"] + [f"vs {lab}" for lab in tab],
                      [[bench_matrix.level_name(k)] + [f"{tab[lab][k]:.2f}" if k in tab[lab] else "-"
                                    for lab in tab] for k in lv]), ""]
    if higher:
        eff = efficiency(rows, metric)
        lv = [k for k in levels(rows) if k > 1]
        if lv and any(k in e for e in eff.values() for k in lv):
            out += ["Efficiency against the ideal fair share (per-VM throughput at k-x "
                    "divided by T1x/k of the same configuration; 1.00 = fair share):", "",
                    table(["configuration"] + [bench_matrix.level_name(k) for k in lv],
                          [[lab] + [f"{eff[lab][k]:.2f}" if k in eff[lab] else "-" for k in lv]
                           for lab in eff]), ""]
    waste = spin_waste_table(rows)
    if waste:
        out += ["Spin waste: share of a vCPU's run time spent waiting for a lock "
                "(spinning or halted in the pv slow path; `lock_vm` `spin_waste`, "
                "mean over the VMs), median over the passing repeats; then "
                "lock-holder / waiter preemptions per run (median):", "", waste, ""]
    shown = [(m, h) for m, h in DETAIL if any(_num(r.get(m)) is not None for r in ok)]
    body = []
    for lab in configs(rows):
        for k in levels(rows):
            cell = [r for r in rows if r["config"] == lab and int(r["overcommit"]) == k]
            if not cell:
                continue
            good = [r for r in cell if r["status"] == "pass"]
            body.append([lab, bench_matrix.level_name(k), f"{len(good)}/{len(cell)}"]
                        + [fmt_stats(stats(r.get(m) for r in good)) for m, _ in shown])
    out += ["Every metric per cell, median (min–max) over the passing runs (latencies in "
            "TSC cycles; halts, kicks, exits and yields summed over the run's vCPUs):", "",
            table(["configuration", "k", "passed"] + [h for _, h in shown], body), ""]
    out += notes(rows)
    return out


def notes(rows):
    out = []
    unsup = {}
    for r in rows:
        if r["status"] == "unsupported":
            unsup.setdefault(r["reason"], []).append(r["cell"])
    for reason, cells in unsup.items():
        cells = sorted(set(cells))
        out.append(f"- skipped, unsupported by this hypervisor: `{reason}` "
                   f"({len(cells)} cell(s): {', '.join(cells[:6])}{' ...' if len(cells) > 6 else ''})")
    pending = [r for r in rows if r["status"] == "not run"]
    if pending:
        out.append(f"- {len(pending)} run(s) not run yet (interrupted matrix: finish it "
                   "with bench.py --resume)")
    failed = [r for r in rows if r["status"] == "fail"]
    for r in failed[:MAX_FAILED_NOTES]:
        out.append(f"- failed: {r['cell']} r{r['repeat']}: {r['reason']} (log {r['log']})")
    if len(failed) > MAX_FAILED_NOTES:
        out.append(f"- ... and {len(failed) - MAX_FAILED_NOTES} more failed run(s): see runs.csv")
    return (["Notes:", ""] + out + [""]) if out else []


def summary(rows, header_lines, plots_by_exp=None):
    """The whole summary.md text."""
    plots_by_exp = plots_by_exp or {}
    out = ["# pvhv benchmark summary", ""] + header_lines + [""]
    counts = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    out += ["Runs: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"), ""]
    for name in dict.fromkeys(r["experiment"] for r in rows):
        out += experiment_section(name, [r for r in rows if r["experiment"] == name],
                                  plots_by_exp.get(name, ()))
    return "\n".join(out)


def write_text(path, text):
    tmp = f"{path}.tmp"
    Path(tmp).write_text(text, encoding="utf-8")
    os.replace(tmp, path)
