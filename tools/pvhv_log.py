#!/usr/bin/python3
"""Parse the `@pvhv {json}` statistics lines of a pvhv serial log.

The hypervisor prints every statistic as one JSON object per line behind the
fixed prefix `@pvhv ` (DESIGN.md §9). This module turns a log into a list of
dicts, flattens them for CSV, and writes a Markdown summary. The run script,
the system tests and the benchmarks all import it, so it stays free of side
effects; the command line is at the bottom.

    pvhv_log.py LOG [--csv-dir DIR] [--markdown FILE]
"""

import argparse
import csv
import json
import os
import re
import sys

PREFIX = "@pvhv "


class Parsed(list):
    """The records of a log (a plain list of dicts) plus what was dropped.

    `malformed` holds the text after the prefix of every `@pvhv ` line that
    was not a JSON object with a string `kind`.
    """

    def __init__(self, records=(), malformed=()):
        super().__init__(records)
        self.malformed = list(malformed)


def parse(text):
    """Return every `@pvhv` record in `text`, in order, as a `Parsed` list.

    Only a line that starts with the prefix is a record: the hypervisor
    prints its records at the start of a line and every guest line behind a
    "[vmX.vcpuY] " tag (COM1 bytes and CONSOLE_WRITE alike), so a guest that
    prints `@pvhv {...}` can never be read as the hypervisor (issue 13 item
    5). Lines are split at "\n" only (not at the other separators Python's
    splitlines knows). Malformed lines are skipped and kept in `.malformed`
    so callers can count them.
    """
    records, malformed = [], []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line.startswith(PREFIX):
            continue
        body = line[len(PREFIX):].strip()
        try:
            obj = json.loads(body)
        except ValueError:
            malformed.append(body)
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("kind"), str):
            malformed.append(body)
            continue
        records.append(obj)
    return Parsed(records, malformed)


def parse_file(path):
    """Parse a log file; undecodable bytes become U+FFFD, not an error."""
    with open(path, encoding="utf-8", errors="replace") as f:
        return parse(f.read())


def of_kind(records, kind):
    """All records of one kind, in log order."""
    return [r for r in records if r.get("kind") == kind]


def by_kind(records):
    """{kind: [records of that kind]} with kinds in order of first appearance."""
    return {kind: of_kind(records, kind) for kind in kinds(records)}


def first(records, kind):
    """The first record of a kind, or None."""
    found = of_kind(records, kind)
    return found[0] if found else None


def last(records, kind):
    """The last record of a kind, or None."""
    found = of_kind(records, kind)
    return found[-1] if found else None


def kinds(records):
    """The kinds present, in order of first appearance."""
    seen = {}
    for r in records:
        seen.setdefault(r["kind"], None)
    return list(seen)


def by_key(records, kind, keys):
    """Index the records of `kind` by the tuple of their `keys` values.

    by_key(recs, "hv_vcpu", ("vm", "vcpu"))[(0, 1)] -> the record of VM 0,
    vCPU 1. A record missing a key, or two records with the same key, is a
    bug in the log and raises ValueError rather than being dropped.
    """
    keys = tuple(keys)
    index = {}
    for r in of_kind(records, kind):
        missing = [k for k in keys if k not in r]
        if missing:
            raise ValueError(f"{kind} record lacks {missing}: {r}")
        key = tuple(r[k] for k in keys)
        if key in index:
            raise ValueError(f"two {kind} records for {dict(zip(keys, key))}")
        index[key] = r
    return index


def flatten(record, prefix=""):
    """Flatten nested dicts to dotted keys; join lists with ';'.

    {"latency": {"p99": 5, "buckets": [1, 2]}} ->
    {"latency.p99": 5, "latency.buckets": "1;2"}
    """
    flat = {}
    for key, value in record.items():
        name = prefix + str(key)
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, list):
            flat[name] = ";".join(_cell(v) for v in value)
        else:
            flat[name] = value
    return flat


def _cell(value):
    """One CSV/Markdown cell: JSON spelling for bools, None and containers."""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, bool)) or value is None:
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _columns(rows):
    """Union of the keys of `rows`, in order of first appearance."""
    cols = {}
    for row in rows:
        for key in row:
            cols.setdefault(key, None)
    return list(cols)


def write_csvs(records, directory):
    """Write one `<kind>.csv` per kind into `directory`; return the paths."""
    os.makedirs(directory, exist_ok=True)
    paths = []
    for kind in kinds(records):
        rows = [flatten(r) for r in of_kind(records, kind)]
        # A kind comes from the log; keep it from naming a path elsewhere.
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", kind).lstrip(".") or "_"
        path = os.path.join(directory, name + ".csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            cols = _columns(rows)
            writer.writerow(cols)
            for row in rows:
                writer.writerow([_cell(row[c]) if c in row else "" for c in cols])
        paths.append(path)
    return paths


# --- Markdown -------------------------------------------------------------

def _table(header, rows):
    """A Markdown table; `rows` are lists of already formatted cells."""
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
    out = [line(header), line(["---"] * len(header))]
    out += [line(r) for r in rows]
    return "\n".join(out)


def _get(record, dotted, default="-"):
    """record["a"]["b"] for "a.b", or `default` when any step is missing."""
    value = record
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value


def _ms(ns):
    """Nanoseconds as milliseconds with three decimals; '-' if absent."""
    return f"{ns / 1e6:.3f}" if isinstance(ns, (int, float)) else "-"


def _sorted(records, *keys):
    return sorted(records, key=lambda r: tuple(_sortable(r.get(k)) for k in keys))


def _sortable(value):
    # Mixed or missing ids must still sort; numbers first, then text.
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))


def _section_run(records):
    run = first(records, "run")
    if run is None:
        return ["## Run", "", "No `run` record."]
    out = ["## Run", ""]
    for key in ("backend", "cpu", "pcpus", "tsc_hz"):
        out.append(f"- {key}: {_cell(run.get(key, '-'))}")
    config = run.get("config", {})
    if isinstance(config, dict) and config:
        words = " ".join(f"{k}={_cell(v)}" for k, v in flatten(config).items())
        out.append(f"- config: `{words}`")
    return out


def _section_end(records):
    end = last(records, "end")
    if end is None:
        return ["## Result", "", "No `end` record: the run did not finish."]
    return ["## Result", "", _table(
        ["status", "vms_done", "vms_killed", "reason"],
        [[_get(end, "status"), _get(end, "vms_done"), _get(end, "vms_killed"),
          _get(end, "reason")]])]


def _section_errors(records):
    errors = of_kind(records, "error")
    if not errors:
        return []
    rows = [[_get(e, "key"), _get(e, "value"), _get(e, "message")] for e in errors]
    return ["## Errors", "", _table(["key", "value", "message"], rows)]


def _section_vms(records):
    vms = _sorted(of_kind(records, "vm"), "vm")
    if not vms:
        return []
    rows = [[_get(v, k) for k in ("vm", "vcpus", "state", "reason", "guest_status")]
            for v in vms]
    return ["## VMs", "", _table(["vm", "vcpus", "state", "reason", "guest_status"], rows)]


def _section_smp(records):
    smp = _sorted(of_kind(records, "smp"), "vm", "vcpu")
    if not smp:
        return []
    cols = ["vm", "vcpu", "vcpus_up", "ipis_sent", "ipis_acked"]
    return ["## Guest SMP bring-up", "",
            _table(cols, [[_get(s, c) for c in cols] for s in smp])]


def _section_lock_vcpu(records):
    rows = _sorted(of_kind(records, "lock_vcpu"), "vm", "vcpu")
    if not rows:
        return []
    cols = [("vm", "vm"), ("vcpu", "vcpu"), ("lock", "lock"),
            ("acquisitions", "acquisitions"), ("p50", "latency.p50"),
            ("p99", "latency.p99"), ("max", "latency.max"),
            ("slow_path", "slow_path"), ("halts", "halts"),
            ("kicks_sent", "kicks_sent"), ("spurious", "spurious_wakeups"),
            ("violations", "violations"), ("spin_waste", "spin_waste"),
            ("spin_frac", "spin_frac"), ("halt_frac", "halt_frac"), ("lhp", "lhp"),
            ("waiter_preempt", "waiter_preempt")]
    return ["## Locks per vCPU (latency in TSC cycles)", "",
            _table([c for c, _ in cols], [[_get(r, k) for _, k in cols] for r in rows])]


def _section_lock_vm(records):
    rows = _sorted(of_kind(records, "lock_vm"), "vm")
    if not rows:
        return []
    cols = ["vm", "lock", "locks", "vcpus", "acquisitions", "elapsed_cycles",
            "throughput", "spin_waste", "spin_frac", "halt_frac", "lhp", "waiter_preempt",
            "violations", "counter_mismatches"]
    return ["## Lock throughput per VM", "",
            _table(cols, [[_get(r, c) for c in cols] for r in rows])]


def _section_hv_vcpu(records):
    rows = _sorted(of_kind(records, "hv_vcpu"), "vm", "vcpu")
    if not rows:
        return []
    out = ["## Hypervisor: vCPUs", "", _table(
        ["vm", "vcpu", "pcpu_last", "run ms", "runnable ms", "blocked ms",
         "switches", "migrations", "kicks_received", "lhp", "waiter_preempt",
         "kick_to_run p50", "kick_to_run p99", "kick_to_run max"],
        [[_get(r, "vm"), _get(r, "vcpu"), _get(r, "pcpu_last"),
          _ms(r.get("run_ns")), _ms(r.get("runnable_ns")), _ms(r.get("blocked_ns")),
          _get(r, "switches"), _get(r, "migrations"), _get(r, "kicks_received"),
          _get(r, "lhp"), _get(r, "waiter_preempt"), _get(r, "kick_to_run.p50"), _get(r, "kick_to_run.p99"),
          _get(r, "kick_to_run.max")] for r in rows])]
    for field, title in (("exits", "exits by reason"), ("hypercalls", "hypercalls")):
        counts = [r.get(field) if isinstance(r.get(field), dict) else {} for r in rows]
        names = _columns(counts)
        if not names:
            continue
        table = [[_get(r, "vm"), _get(r, "vcpu"), sum(_numbers(c.values()))]
                 + [c.get(n, 0) for n in names] for r, c in zip(rows, counts)]
        out += ["", f"## Hypervisor: {title}", "",
                _table(["vm", "vcpu", "total"] + names, table)]
    return out


def _numbers(values):
    return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


def _section_pcpu(records):
    rows = _sorted(of_kind(records, "pcpu"), "pcpu")
    if not rows:
        return []
    table = []
    for r in rows:
        idle, busy = r.get("idle_ns"), r.get("busy_ns")
        share = "-"
        if _numbers([idle, busy]) == [idle, busy] and idle + busy > 0:
            share = f"{100.0 * idle / (idle + busy):.1f}"
        table.append([_get(r, "pcpu"), _ms(idle), _ms(busy), share, _get(r, "vmruns")])
    return ["## pCPUs", "",
            _table(["pcpu", "idle ms", "busy ms", "idle %", "vmruns"], table)]


def _section_trace(records):
    batches = of_kind(records, "trace")
    if not batches:
        return []
    return ["## Trace", "", f"{len(batches)} `trace` batch record(s); "
            "draw them with tools/pvhv_trace.py (timeline PNG/SVG, Chrome trace JSON)."]


# Kinds with a section of their own; anything else is listed generically.
SECTIONS = {
    "run": _section_run, "end": _section_end, "error": _section_errors,
    "vm": _section_vms, "smp": _section_smp, "lock_vcpu": _section_lock_vcpu,
    "lock_vm": _section_lock_vm, "hv_vcpu": _section_hv_vcpu,
    "pcpu": _section_pcpu, "trace": _section_trace,
}
ORDER = ["run", "end", "error", "vm", "smp", "lock_vcpu", "lock_vm",
         "hv_vcpu", "pcpu", "trace"]


def _section_other(records, kind):
    rows = [flatten(r) for r in of_kind(records, kind)]
    cols = _columns(rows)
    return [f"## Other: {kind}", "",
            _table(cols, [[_cell(row.get(c, "-")) for c in cols] for row in rows])]


def markdown(records):
    """A Markdown summary of one run's records."""
    out = ["# pvhv run summary", ""]
    for kind in ORDER:
        section = SECTIONS[kind](records)
        if section:
            out += section + [""]
    for kind in kinds(records):
        if kind not in SECTIONS:
            out += _section_other(records, kind) + [""]
    malformed = getattr(records, "malformed", [])
    if malformed:
        out += [f"{len(malformed)} malformed `@pvhv` line(s) ignored.", ""]
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Summarise the @pvhv lines of a pvhv serial log.")
    ap.add_argument("log", help="serial log file")
    ap.add_argument("--csv-dir", help="write one <kind>.csv per record kind here")
    ap.add_argument("--markdown", metavar="FILE", help="write the Markdown summary here ('-' for stdout)")
    opts = ap.parse_args(argv)
    try:
        records = parse_file(opts.log)
    except OSError as e:
        print(f"pvhv_log: error: cannot read {opts.log}: {e.strerror}", file=sys.stderr)
        return 1
    if not records:
        print(f"pvhv_log: error: no @pvhv records in {opts.log}", file=sys.stderr)
        return 1
    if records.malformed:
        print(f"pvhv_log: warning: {len(records.malformed)} malformed @pvhv line(s) ignored",
              file=sys.stderr)
    if opts.csv_dir:
        write_csvs(records, opts.csv_dir)
    if opts.markdown == "-" or not (opts.csv_dir or opts.markdown):
        sys.stdout.write(markdown(records))
    elif opts.markdown:
        with open(opts.markdown, "w", encoding="utf-8") as f:
            f.write(markdown(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
