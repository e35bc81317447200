"""tools/pvhv_trace.py on a recorded log: a real Bochs run (VMX, 2 pCPUs,
2 VMs x 2 vCPUs, pvticket spin_threshold=512, duration=200, trace=on
trace_events=256; nothing was dropped). The converter must read back
exactly what the hypervisor says it recorded, pair in/out events, show the
drop count, and write a timeline and a Chrome trace-event file of the
documented shape. A buffer that filled is simulated by cutting pCPU 0's
events and setting its dropped count, as the hypervisor would have (the
system test test_tiny_trace_buffer_reports_drops makes it happen for real)."""

import json

import pytest

import pvhv_log
import pvhv_trace

FIXTURE = "trace_bochs_2x.log"
CAPACITY = 256


@pytest.fixture
def records(fixtures):
    return pvhv_log.parse_file(fixtures / FIXTURE)


@pytest.fixture
def tr(records):
    return pvhv_trace.load(records)


def test_reads_back_what_the_hypervisor_recorded(tr, records):
    assert tr.pcpus == [0, 1]
    info = pvhv_log.last(records, "trace_info")
    assert info["events_per_pcpu"] == CAPACITY
    for pcpu, evs in tr.events.items():
        assert len(evs) == tr.recorded[pcpu] <= CAPACITY
        times = [e.tsc for e in evs]
        assert times == sorted(times), f"pCPU {pcpu}: times go backwards"
    counts = pvhv_trace.counts(tr)
    for pcpu in tr.pcpus:
        assert counts[pcpu].get("in", 0) > 0 and counts[pcpu].get("out", 0) > 0
        assert counts[pcpu]["in"] - counts[pcpu]["out"] in (0, 1)   # one may be cut off
    # pvticket at 2x: waiters halt and are kicked.
    assert sum(c.get("kick", 0) for c in counts.values()) > 0


def test_complete_trace_shows_no_drops(tr):
    assert tr.total_dropped() == 0
    text = pvhv_trace.summary(tr)
    assert "0 events dropped" in text
    for p in tr.pcpus:
        assert f"pCPU {p}: recorded={tr.recorded[p]} dropped=0" in text


def cut(records, keep, dropped):
    """The records as if pCPU 0's buffer had held only `keep` events."""
    out, left = [], keep
    for r in records:
        if r["kind"] == "trace" and r["pcpu"] == 0:
            if left <= 0:
                continue
            r = dict(r, ev=r["ev"][:left])
            left -= len(r["ev"])
        elif r["kind"] == "trace_pcpu" and r["pcpu"] == 0:
            r = dict(r, recorded=keep, dropped=dropped)
        out.append(r)
    return out


def test_drops_are_counted_and_shown(records, tmp_path):
    evs = pvhv_trace.load(records).events[0]
    keep = next(i for i, e in enumerate(evs) if e.type == "in" and i > 10) + 1  # ends inside a run
    tr = pvhv_trace.load(cut(records, keep, dropped=len(evs) - keep))
    assert tr.dropped[0] == len(evs) - keep > 0 and tr.recorded[0] == keep == len(tr.events[0])
    assert f"{tr.total_dropped()} events dropped" in pvhv_trace.summary(tr)
    assert pvhv_trace.pairing_problems(tr) == []     # the open run is excused by the drops
    assert pvhv_trace.intervals(tr)[0][-1][4] == "open"
    assert pvhv_trace.chrome_trace(tr)["otherData"]["dropped"]["0"] == tr.dropped[0]
    svg = tmp_path / "cut.svg"
    pvhv_trace.plot(tr, [svg])
    assert f"{tr.total_dropped()} events dropped (buffer full)" in svg.read_text()


def test_in_and_out_pair_up(tr):
    assert pvhv_trace.pairing_problems(tr) == []
    for pcpu, runs in pvhv_trace.intervals(tr).items():
        ends = [r[1] for r in runs]
        starts = [r[0] for r in runs]
        assert all(s <= e for s, e in zip(starts, ends))
        assert all(e <= s for e, s in zip(ends, starts[1:])), "runs overlap on one pCPU"
        assert {r[4] for r in runs} <= {"preempt", "yield", "block", "stop", "open"}


def test_pairing_problems_are_found(tr):
    """A trace with one `out` removed must be reported, or the check is empty."""
    pcpu = tr.pcpus[0]
    evs = tr.events[pcpu]
    i = next(i for i, e in enumerate(evs) if e.type == "out")
    tr.events[pcpu] = evs[:i] + evs[i + 1:]
    assert pvhv_trace.pairing_problems(tr)


def test_chrome_trace_schema(tr, records):
    doc = json.loads(json.dumps(pvhv_trace.chrome_trace(tr, pvhv_log.last(records, "run"))))
    assert doc["displayTimeUnit"] == "ms"
    evs = doc["traceEvents"]
    threads = {e["tid"] for e in evs if e["ph"] == "M" and e["name"] == "thread_name"}
    assert threads == set(tr.pcpus)
    for e in evs:
        assert e["ph"] in ("M", "X", "i") and isinstance(e["name"], str)
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
        if e["ph"] != "M":
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0
        if e["ph"] == "X":
            assert e["dur"] >= 0 and {"vm", "vcpu", "out"} <= set(e["args"])
        if e["ph"] == "i":
            assert e["s"] == "t"
    slices = sum(1 for e in evs if e["ph"] == "X")
    assert slices == sum(len(r) for r in pvhv_trace.intervals(tr).values())
    instants = sum(1 for e in evs if e["ph"] == "i")
    assert instants == sum(1 for es in tr.events.values() for e in es if e.type not in ("in", "out"))
    other = doc["otherData"]
    assert other["dropped_total"] == tr.total_dropped()
    assert other["dropped"] == {str(p): tr.dropped[p] for p in tr.pcpus}
    assert other["recorded"] == {str(p): tr.recorded[p] for p in tr.pcpus}


def test_cli_writes_png_svg_json(fixtures, tmp_path, capsys):
    png, svg, js = tmp_path / "t.png", tmp_path / "t.svg", tmp_path / "t.json"
    rc = pvhv_trace.main([str(fixtures / FIXTURE), "--png", str(png), "--svg", str(svg),
                          "--json", str(js)])
    assert rc == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in svg.read_text()
    assert "no events dropped" in svg.read_text()
    assert json.loads(js.read_text())["traceEvents"]
    assert "0 events dropped" in capsys.readouterr().out


def test_log_without_trace_is_refused(fixtures, capsys):
    assert pvhv_trace.main([str(fixtures / "sample.log")]) == 1
    assert "trace=on" in capsys.readouterr().err
