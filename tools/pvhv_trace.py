#!/usr/bin/python3
"""Turn the scheduling trace of a pvhv run (trace=on) into pictures.

The hypervisor prints its per-pCPU event buffers at the end of a run as
`@pvhv` records (hv/trace/trace.c): one `trace_info` (event type names, TSC
rate), `trace` batches of [dt_cycles, type, vm, vcpu, arg] events, and one
`trace_pcpu` per pCPU with the recorded and dropped counts. This script
rebuilds per-pCPU intervals (which vCPU ran when) and writes

  * a timeline (PNG and/or SVG, matplotlib): one row per pCPU, bars coloured
    by VM (hue) and vCPU (shade), kicks, lock-holder and waiter
    preemptions marked; dropped events are printed in the title;
  * a Chrome trace-event JSON file (Perfetto, chrome://tracing): one track
    per pCPU, a complete ("X") event per vCPU run, instant events for the rest.

    pvhv_trace.py LOG [--png F] [--svg F] [--json F] [--title T] [--from MS --to MS]

Importable: load(records) -> Trace; intervals(), pairing_problems(),
chrome_trace(), plot().
"""

import argparse
import colorsys
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pvhv_log  # noqa: E402

US_PER_S = 1_000_000
MS_PER_S = 1_000
# Marker style per instant event type: (matplotlib marker, colour, label).
MARKS = {
    "kick": ("v", "black", "kick sent"),
    "lhp": ("X", "red", "lock-holder preempted"),
    "waiter_preempt": ("x", "darkorange", "waiter preempted"),
    "ipi_not_running": ("d", "purple", "IPI to a vCPU not running"),
}
VCPU_STATES = {0: "new", 1: "runnable", 2: "running", 3: "blocked", 4: "done"}
VM_HUES = [0.58, 0.08, 0.33, 0.78, 0.0, 0.15, 0.5, 0.9]   # blue, orange, green, ...


class TraceError(Exception):
    """The log has no usable trace records."""


@dataclass
class Event:
    tsc: int            # cycles since the trace epoch
    type: str
    vm: int
    vcpu: int
    arg: int


@dataclass
class Trace:
    tsc_hz: int
    types: list
    out_reasons: list
    events: dict = field(default_factory=dict)      # pcpu -> [Event]
    recorded: dict = field(default_factory=dict)    # pcpu -> count (hypervisor's)
    dropped: dict = field(default_factory=dict)     # pcpu -> count

    @property
    def pcpus(self):
        return sorted(set(self.events) | set(self.recorded))

    def total_dropped(self):
        return sum(self.dropped.values())

    def ms(self, tsc):
        return tsc * MS_PER_S / self.tsc_hz


def load(records):
    """Build a Trace from parsed @pvhv records (pvhv_log.parse)."""
    info = pvhv_log.last(records, "trace_info")
    if info is None:
        raise TraceError("no trace_info record: was the run made with trace=on?")
    tr = Trace(tsc_hz=info["tsc_hz"], types=info["types"], out_reasons=info["out_reasons"])
    batches = {}
    for rec in pvhv_log.of_kind(records, "trace"):
        batches.setdefault(rec["pcpu"], []).append(rec)
    for pcpu, recs in batches.items():
        evs = []
        for rec in sorted(recs, key=lambda r: r["batch"]):
            t = 0      # each batch's first dt is from the epoch
            for dt, typ, vm, vcpu, arg in rec["ev"]:
                t += dt
                evs.append(Event(t, tr.types[typ], vm, vcpu, arg))
        tr.events[pcpu] = evs
    for rec in pvhv_log.of_kind(records, "trace_pcpu"):
        tr.recorded[rec["pcpu"]] = rec["recorded"]
        tr.dropped[rec["pcpu"]] = rec["dropped"]
        tr.events.setdefault(rec["pcpu"], [])
    return tr


def intervals(tr):
    """{pcpu: [(start, end, vm, vcpu, why_out)]}; a run still open at the
    last event of its pCPU (the buffer filled) ends there with why 'open'."""
    out = {}
    for pcpu, evs in tr.events.items():
        runs, cur = [], None
        for e in evs:
            if e.type == "in":
                if cur is not None:
                    runs.append((cur.tsc, e.tsc, cur.vm, cur.vcpu, "lost"))
                cur = e
            elif e.type == "out" and cur is not None:
                runs.append((cur.tsc, e.tsc, cur.vm, cur.vcpu, tr.out_reasons[e.arg]))
                cur = None
        if cur is not None:
            runs.append((cur.tsc, evs[-1].tsc, cur.vm, cur.vcpu, "open"))
        out[pcpu] = runs
    return out


def pairing_problems(tr):
    """Every way the in/out events of a pCPU fail to pair: an `in` while a
    vCPU is already in, an `out` with none in or for another vCPU, times
    going backwards. A complete trace (no drops) has none and ends with
    every pCPU empty."""
    problems = []
    for pcpu, evs in tr.events.items():
        cur, last = None, 0
        for i, e in enumerate(evs):
            if e.tsc < last:
                problems.append(f"pcpu {pcpu} event {i}: time goes backwards")
            last = e.tsc
            if e.type == "in":
                if cur is not None:
                    problems.append(f"pcpu {pcpu} event {i}: in vm{e.vm}.{e.vcpu} while "
                                    f"vm{cur[0]}.{cur[1]} is in")
                cur = (e.vm, e.vcpu)
            elif e.type == "out":
                if cur != (e.vm, e.vcpu):
                    problems.append(f"pcpu {pcpu} event {i}: out vm{e.vm}.{e.vcpu} but "
                                    f"{'nothing' if cur is None else 'vm%d.%d' % cur} is in")
                cur = None
        if cur is not None and not tr.dropped.get(pcpu):
            problems.append(f"pcpu {pcpu}: vm{cur[0]}.{cur[1]} never went out")
    return problems


def counts(tr):
    """{pcpu: {type: n}} of the events read back."""
    res = {}
    for pcpu, evs in tr.events.items():
        c = {}
        for e in evs:
            c[e.type] = c.get(e.type, 0) + 1
        res[pcpu] = c
    return res


def vcpu_colour(vm, vcpu, nr_vcpus):
    """VM picks the hue, vCPU the lightness, so a VM's vCPUs read as one family."""
    hue = VM_HUES[vm % len(VM_HUES)]
    light = 0.30 + 0.45 * (vcpu / max(1, nr_vcpus - 1)) if nr_vcpus > 1 else 0.45
    return colorsys.hls_to_rgb(hue, light, 0.75)


def chrome_trace(tr, run=None):
    """The trace as a Chrome trace-event object (JSON object format)."""
    def us(tsc):
        return tsc * US_PER_S / tr.tsc_hz
    evs = [{"name": "process_name", "ph": "M", "pid": 0, "tid": 0,
            "args": {"name": "pvhv pCPUs"}}]
    for pcpu in tr.pcpus:
        evs.append({"name": "thread_name", "ph": "M", "pid": 0, "tid": pcpu,
                    "args": {"name": f"pCPU {pcpu}"}})
    for pcpu, runs in intervals(tr).items():
        for start, end, vm, vcpu, why in runs:
            evs.append({"name": f"vm{vm}.vcpu{vcpu}", "cat": f"vm{vm}", "ph": "X",
                        "ts": us(start), "dur": us(end - start), "pid": 0, "tid": pcpu,
                        "args": {"vm": vm, "vcpu": vcpu, "out": why}})
    for pcpu, events in tr.events.items():
        for e in events:
            if e.type in ("in", "out"):
                continue
            name = f"{e.type} vm{e.vm}.vcpu{e.vcpu}"
            if e.type == "kick":
                name += f" -> vcpu{e.arg}"
            elif e.type == "ipi_not_running":
                name += f" -> vcpu{e.arg & 0xFFFF} ({VCPU_STATES.get(e.arg >> 16, '?')})"
            evs.append({"name": name, "cat": e.type, "ph": "i", "s": "t", "ts": us(e.tsc),
                        "pid": 0, "tid": pcpu,
                        "args": {"vm": e.vm, "vcpu": e.vcpu, "arg": e.arg}})
    other = {"tsc_hz": tr.tsc_hz,
             "recorded": {str(p): n for p, n in tr.recorded.items()},
             "dropped": {str(p): n for p, n in tr.dropped.items()},
             "dropped_total": tr.total_dropped()}
    if run:
        other["cmdline"] = run.get("cmdline", "")
        other["backend"] = run.get("backend", "")
    return {"traceEvents": evs, "displayTimeUnit": "ms", "otherData": other}


def plot(tr, outputs, title="", window=None, nr_vcpus=None):
    """Draw the timeline into every path in outputs (.png / .svg)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    runs = intervals(tr)
    if nr_vcpus is None:
        nr_vcpus = 1 + max((r[3] for rs in runs.values() for r in rs), default=0)
    lo, hi = window if window else (None, None)
    pcpus = tr.pcpus
    fig, ax = plt.subplots(figsize=(14, 1.0 + 0.7 * len(pcpus)))
    seen = {}
    for row, pcpu in enumerate(pcpus):
        for start, end, vm, vcpu, why in runs.get(pcpu, []):
            s, e = tr.ms(start), tr.ms(end)
            if lo is not None and (e < lo or s > hi):
                continue
            col = vcpu_colour(vm, vcpu, nr_vcpus)
            ax.broken_barh([(s, max(e - s, 1e-4))], (row - 0.35, 0.7), facecolors=[col],
                           edgecolor="none")
            seen[(vm, vcpu)] = col
        marks = {}
        for ev in tr.events.get(pcpu, []):
            if ev.type in MARKS:
                t = tr.ms(ev.tsc)
                if lo is None or lo <= t <= hi:
                    marks.setdefault(ev.type, []).append(t)
        for typ, ts in marks.items():
            m, c, _ = MARKS[typ]
            y = row + (0.42 if typ in ("kick", "ipi_not_running") else 0.0)
            ax.plot(ts, [y] * len(ts), linestyle="none", marker=m, color=c, markersize=5)
    ax.set_yticks(range(len(pcpus)))
    ax.set_yticklabels([f"pCPU {p}" for p in pcpus])
    ax.set_ylim(-0.6, len(pcpus) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel("time since the trace started (ms)")
    if lo is not None:
        ax.set_xlim(lo, hi)
    drops = tr.total_dropped()
    full = title + ("; " if title else "") + (f"{drops} events dropped (buffer full)"
                                              if drops else "no events dropped")
    ax.set_title(full, fontsize=10)
    handles = [Patch(color=c, label=f"vm{vm}.vcpu{v}") for (vm, v), c in sorted(seen.items())]
    handles += [Line2D([], [], linestyle="none", marker=m, color=c, label=lab)
                for m, c, lab in MARKS.values()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.tight_layout()
    for path in outputs:
        fig.savefig(path, dpi=110)
    plt.close(fig)


def summary(tr):
    lines = [f"trace: {len(tr.pcpus)} pCPUs, TSC {tr.tsc_hz} Hz, "
             f"{tr.total_dropped()} events dropped"]
    for pcpu, c in sorted(counts(tr).items()):
        parts = " ".join(f"{k}={v}" for k, v in sorted(c.items()))
        lines.append(f"  pCPU {pcpu}: recorded={tr.recorded.get(pcpu, '?')} "
                     f"dropped={tr.dropped.get(pcpu, '?')} {parts}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log", help="serial log of a run made with trace=on")
    ap.add_argument("--png", help="write the timeline as PNG")
    ap.add_argument("--svg", help="write the timeline as SVG")
    ap.add_argument("--json", help="write a Chrome trace-event JSON file")
    ap.add_argument("--title", default=None, help="timeline title (default: the cmdline)")
    ap.add_argument("--from", dest="t0", type=float, help="window start, ms")
    ap.add_argument("--to", dest="t1", type=float, help="window end, ms")
    args = ap.parse_args(argv)
    records = pvhv_log.parse_file(args.log)
    try:
        tr = load(records)
    except TraceError as e:
        print(f"pvhv_trace.py: {args.log}: {e}", file=sys.stderr)
        return 1
    run = pvhv_log.last(records, "run") or {}
    print(summary(tr))
    problems = pairing_problems(tr)
    for p in problems[:10]:
        print(f"pvhv_trace.py: warning: {p}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(chrome_trace(tr, run)))
    outs = [p for p in (args.png, args.svg) if p]
    if outs:
        window = None
        if args.t0 is not None or args.t1 is not None:
            window = (args.t0 or 0.0, args.t1 if args.t1 is not None else float("inf"))
        title = args.title if args.title is not None else run.get("cmdline", "")
        cfg = run.get("config") or {}
        plot(tr, outs, title=title, window=window, nr_vcpus=cfg.get("vcpus"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
