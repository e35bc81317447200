"""Tests of `make bench` (tools/bench*.py): metrics from a recorded serial log
(fixtures/lockstress_2x.log: vms=2 vcpus=2 duration=500 on 2 pCPUs), the
matrix file format, the runner's resume logic against a fake QEMU that
replays that log, speed-up and efficiency arithmetic on synthetic rows, and
one real one-cell matrix booted end to end."""

import csv
import json
import os
import signal
import statistics
import stat
from pathlib import Path

import pytest

import bench
import bench_matrix
import bench_report
import pvhv_log

REPO = Path(__file__).resolve().parents[2]
LOG = "lockstress_2x.log"


@pytest.fixture
def records(fixtures):
    return pvhv_log.parse_file(fixtures / LOG)


# --- metrics from a recorded log ------------------------------------------

def test_metrics_of_recorded_log(records):
    m = bench_report.metrics(records)
    tput = [r["throughput"] for r in sorted(pvhv_log.of_kind(records, "lock_vm"),
                                            key=lambda r: r["vm"])]
    assert len(tput) == 2
    assert m["throughput_vm_mean"] == pytest.approx(statistics.mean(tput))
    assert m["throughput_total"] == sum(tput)
    assert m["throughput_vms"] == ";".join(map(str, tput))
    vcpus = pvhv_log.of_kind(records, "lock_vcpu")
    assert m["lock_p50"] == statistics.median(r["latency"]["p50"] for r in vcpus)
    assert m["lock_p99"] == statistics.median(r["latency"]["p99"] for r in vcpus)
    assert m["halts"] == sum(r["halts"] for r in vcpus)
    assert m["kicks"] == sum(r["kicks_sent"] for r in vcpus)
    # The recorded run had PLE off (its pause/yield counts are all 0): those
    # two columns are checked on non-zero records in the next test.
    per_vm = {}
    for r in vcpus:
        per_vm.setdefault(r["vm"], []).append(r["acquisitions"])
    jains = [sum(v) ** 2 / (len(v) * sum(x * x for x in v)) for v in per_vm.values()]
    assert m["jain_vcpu"] == pytest.approx(statistics.mean(jains))
    assert m["acquisitions"] == sum(r["acquisitions"] for r in pvhv_log.of_kind(records, "lock_vm"))
    assert m["violations"] == 0
    # A lockstress run has no TLB records: those columns stay empty.
    assert m["tlb_p50"] is None and m["stale_reads"] is None


def test_spin_waste_and_preemptions_of_recorded_bochs_log(fixtures):
    """A recorded Bochs pvticket 2x run whose two VMs differ (0.2141 and
    0.1840 spin waste, 10/9 holder and 9/2 waiter preemptions): the row
    averages the fractions over the VMs and sums the counts, and the
    summary shows them in the spin-waste and per-cell tables."""
    recs = pvhv_log.parse_file(fixtures / "trace_bochs_2x.log")
    vms = pvhv_log.of_kind(recs, "lock_vm")
    assert [r["spin_waste"] for r in vms] == [0.2141, 0.1840]
    m = bench_report.metrics(recs)
    assert m["spin_waste"] == pytest.approx((0.2141 + 0.1840) / 2)
    assert m["spin_frac"] == pytest.approx((0.1665 + 0.1840) / 2)
    assert m["halt_frac"] == pytest.approx(0.0476 / 2)
    assert m["spin_waste"] == pytest.approx(m["spin_frac"] + m["halt_frac"])
    assert (m["lhp"], m["waiter_preempt"]) == (19, 11)
    # the hypervisor's own counts (vm records) are the same numbers
    hv = pvhv_log.of_kind(recs, "vm")
    assert (sum(r["lhp"] for r in hv), sum(r["waiter_preempt"] for r in hv)) == (19, 11)
    rows = []
    for k, waste in ((1, 0.05), (2, None)):
        r = dict(synth("pvticket", k, [100], "pvticket")[0])
        r.update(m if waste is None else dict(spin_waste=waste, spin_frac=waste,
                                              halt_frac=0.0, lhp=0, waiter_preempt=0))
        rows.append(r)
    text = bench_report.summary(rows, [], {})
    assert "| pvticket | 0.05 (0.05 + 0.00); 0 / 0 | 0.20 (0.18 + 0.02); 19 / 11 |" in text
    head = next(line for line in text.splitlines() if "spin waste |" in line)
    assert "holder preempted | waiter preempted" in head
    # a log without spin waste (older hypervisor) leaves the columns empty
    # and the summary without the table
    assert bench_report.metrics([])["spin_waste"] is None
    assert "Spin waste:" not in bench_report.summary(
        synth("pvticket", 1, [100], "pvticket"), [], {})


def test_ple_metrics_sum_every_vcpu():
    """Distinct non-zero counts, one vCPU without directed_yields: a sum
    that dropped a vCPU, or read the wrong field, gives another number."""
    hv = [{"kind": "hv_vcpu", "vm": 0, "vcpu": 0, "exits": {"pause": 3, "hlt": 100},
           "ple_exits": 1000, "directed_yields": 2},
          {"kind": "hv_vcpu", "vm": 0, "vcpu": 1, "exits": {"pause": 50, "hlt": 7},
           "ple_exits": 2000},
          {"kind": "hv_vcpu", "vm": 1, "vcpu": 0, "exits": {"pause": 700, "hlt": 1},
           "ple_exits": 4000, "directed_yields": 40}]
    m = bench_report.metrics(hv)
    assert m["ple_exits"] == 753
    assert m["directed_yields"] == 42


def test_tlb_metrics_use_writers_only():
    def vcpu(writer, shoot, p50, p99, stale):
        return {"kind": "tlb_vcpu", "writer": writer, "shootdowns": shoot,
                "latency": {"p50": p50, "p99": p99}, "targets_skipped": 2, "stale_reads": stale}
    recs = [vcpu(True, 100, 1000, 9000, 0), vcpu(True, 50, 3000, 7000, 0),
            vcpu(False, 0, 1, 1, 1),
            {"kind": "tlb_vm", "shootdowns": 150, "elapsed_cycles": 3000, "tsc_hz": 1000,
             "window_shootdowns": 120, "window_cycles": 1500, "stale_reads": 1}]
    m = bench_report.metrics(recs)
    assert (m["tlb_p50"], m["tlb_p99"]) == (2000, 8000)
    assert m["tlb_shootdowns"] == 150 and m["tlb_ipis_avoided"] == 6
    assert m["stale_reads"] == 1          # per vCPU, not again from tlb_vm
    # 120 in the 1.5 s stress window, not 150 over the 3 s to the end barrier
    assert m["tlb_throughput_vm_mean"] == 80.0


def test_tlb_rate_is_the_stress_windows():
    """The guest's own rate wins; without it, window_shootdowns over
    window_cycles; elapsed_cycles (to the end barrier) is never a rate."""
    def vm(**kw):
        return {"kind": "tlb_vm", "vm": kw.pop("vm", 0), "shootdowns": 400,
                "elapsed_cycles": 4000, "tsc_hz": 1000, **kw}
    m = bench_report.metrics([vm(window_shootdowns=300, window_cycles=1000, throughput=300)])
    assert m["tlb_throughput_vm_mean"] == 300
    m = bench_report.metrics([vm(window_shootdowns=300, window_cycles=1000),
                              vm(vm=1, window_shootdowns=100, window_cycles=1000)])
    assert m["tlb_throughput_vm_mean"] == 200.0     # (300 + 100) / 2
    assert bench_report.metrics([vm()])["tlb_throughput_vm_mean"] is None  # not 100


def test_classify(records):
    dims = {"lock": "pvticket"}
    assert bench_report.classify(records, {"rc": 0}, {"lock"}, dims)[0] == "pass"
    err = [{"kind": "run", "config": None},
           {"kind": "error", "key": "ple", "value": "on", "message": "ple=on: unknown key"},
           {"kind": "end", "status": "fail"}]
    assert bench_report.classify(err, {"rc": 1}, {"ple", "lock"}, dims) == \
        ("unsupported", "ple=on: unknown key")
    assert bench_report.classify(err, {"rc": 1}, {"lock"}, dims)[0] == "fail"
    no_end = [r for r in records if r["kind"] != "end"]
    assert bench_report.classify(no_end, None, set(), dims)[0] == "fail"
    assert bench_report.classify(records, {"rc": 1, "reason": "x"}, set(), dims) == ("fail", "x")
    status, reason = bench_report.classify(records, {"rc": 0}, set(), {"lock": "ticket"})
    assert status == "fail" and "lock=pvticket" in reason


# --- the matrix file --------------------------------------------------------

MATRIX = """
# comment
[bench]
pcpus = 2
repeats = 3     # inline comment
seed = 10
duration = 700
args = cs=100

[locks]
task = lockstress
overcommit = 1, 2 3
lock = ticket pvticket
ple = off on
sched = rr

[tlb]
task = tlbstress
overcommit = 2
tlb = native pv
repeats = 1
args = tlb_pages=4
"""


def test_matrix_parse_cells_and_runs():
    m = bench_matrix.parse(MATRIX, "t")
    assert m.name == "t" and m.pcpus == 2
    cells = m.cells()
    assert len(cells) == 3 * 2 * 2 + 2
    c = cells[0]
    assert c.id == "locks-1x-lock_ticket-ple_off" and c.label == "ticket"
    assert [x.label for x in cells[:4]] == ["ticket", "ticket+PLE", "pvticket", "pvticket+PLE"]
    assert [x.label for x in cells[-2:]] == ["native", "pv"]
    runs = m.runs()
    assert len(runs) == 12 * 3 + 2
    assert [r.seed for r in runs[:3]] == [10, 11, 12]
    assert runs[0].id == "locks-1x-lock_ticket-ple_off-r0"
    assert runs[0].timeout == pytest.approx(120 + 10 * 1 * 0.7)
    assert runs[-1].args == ["cs=100", "tlb_pages=4"]


def test_matrix_cmdline_leaves_defaults_off():
    m = bench_matrix.parse(MATRIX, "t")
    runs = {r.id: r for r in m.runs()}
    r = runs["locks-3x-lock_ticket-ple_on-r2"]
    defaults = {"lock": "pvticket", "task": "lockstress", "sched": "rr", "ple": "off"}
    assert bench_matrix.cmdline(r, 2, defaults) == \
        "vms=3 vcpus=2 lock=ticket ple=on duration=700 seed=12 cs=100"
    r = runs["locks-1x-lock_pvticket-ple_off-r0"]
    assert bench_matrix.cmdline(r, 2, defaults) == "vms=1 vcpus=2 duration=700 seed=10 cs=100"
    # A key the hypervisor does not know is left off at its assumed default
    # (no PLE = ple=off); a key it knows with another default is passed.
    assert bench_matrix.cmdline(r, 2, {"lock": "ticket"}) == \
        "vms=1 vcpus=2 lock=pvticket duration=700 seed=10 cs=100"
    t = runs["tlb-2x-tlb_native-r0"]
    assert bench_matrix.cmdline(t, 2, {"tlb": "pv", "task": "lockstress"}) == \
        "vms=2 vcpus=2 task=tlbstress tlb=native duration=700 seed=10 cs=100 tlb_pages=4"


def test_matrix_native_row_boots_the_guest_alone(tmp_path):
    """overcommit `native` is level 0: no vms= word, `--native` and no --hv
    on the pvhv_run command, and it reads "native" in ids and tables."""
    m = bench_matrix.parse("[bench]\npcpus = 4\nduration = 500\n[locks]\n"
                           "task = lockstress\novercommit = native 1\nlock = ticket pvticket\n", "t")
    runs = {r.id: r for r in m.runs()}
    nat = runs["locks-native-lock_ticket-r0"]
    assert nat.cell.k == bench_matrix.NATIVE_LEVEL
    defaults = {"lock": "pvticket", "task": "lockstress"}
    assert bench_matrix.cmdline(nat, 4, defaults) == "vcpus=4 lock=ticket duration=500 seed=1"
    assert bench_matrix.cmdline(runs["locks-1x-lock_ticket-r0"], 4, defaults).startswith("vms=1 ")
    cmd = bench._run_cmd(4, "vcpus=4", tmp_path / "l", 60, False, tmp_path, native=True)
    assert "--native" in cmd and "--hv" not in cmd
    assert "--native" not in bench._run_cmd(4, "vms=1", tmp_path / "l", 60, False, tmp_path)
    rows = [{"config": "ticket", "overcommit": k, "status": "pass", "throughput_vm_mean": v}
            for k, v in ((0, 100.0), (1, 96.0))]
    assert bench_report.headline(rows, "throughput_vm_mean").splitlines()[0].count("native") == 1


@pytest.mark.parametrize("text, message", [
    ("[x]\novercommit = 1\n", "no \\[bench\\]"),
    ("[bench]\n", "no experiment"),
    ("[bench]\n[x]\nlock = ticket\n", "needs overcommit"),
    ("[bench]\n[x]\novercommit = 1 1\n", "distinct"),
    ("[bench]\n[x]\novercommit = 0\n", "at least 1"),
    ("[bench]\n[x]\novercommit = 1\nvms = 2\n", "set by overcommit"),
    ("[bench]\n[x]\novercommit = 1\nlock = ticket ticket\n", "distinct values"),
    ("[bench]\nargs = nonsense\n[x]\novercommit = 1\n", "key=value"),
    ("[bench]\nargs = seed=3\n[x]\novercommit = 1\n", "set by the matrix"),
    ("[bench]\nargs = lock=ticket\n[x]\novercommit = 1\nlock = pvticket\n", "both a dimension"),
    ("[bench]\nbogus = 1\n[x]\novercommit = 1\n", "unknown setting"),
    ("[bench]\nrepeats = many\n[x]\novercommit = 1\n", "not an integer"),
    ("[bench\n", "cannot parse"),
])
def test_matrix_errors(text, message):
    with pytest.raises(bench_matrix.MatrixError, match=message):
        bench_matrix.parse(text)


def test_shipped_matrices_parse():
    shipped = {"default": ("bochs", 4), "quick": ("bochs", 4), "large": ("bochs", 8),
               "tcg": ("qemu", 2), "tcg-quick": ("qemu", 2)}
    for name, (emu, pcpus) in shipped.items():
        m = bench_matrix.load(REPO / "tools" / "bench" / f"{name}.matrix")
        assert m.name == name and m.pcpus == pcpus and m.emu == emu
        assert all(e.repeats >= (1 if emu == "bochs" else 3) and e.overcommit == [1, 2, 3]
                   for e in m.experiments)
        dims = {k: set(v) for e in m.experiments for k, v in e.dims.items()}
        assert {"ticket", "pvticket"} <= dims["lock"] and {"rr", "gang"} <= dims["sched"]
        assert {"off", "on"} <= dims["ple"] and {"native", "pv"} <= dims["tlb"]


def test_scale_matrix_is_16_pcpus_4x_for_every_policy():
    """make bench-scale: 16 pCPUs on Bochs, every policy, 1x to 4x."""
    m = bench_matrix.load(REPO / "tools" / "bench" / "scale.matrix")
    assert (m.name, m.emu, m.pcpus) == ("scale", "bochs", 16)
    (e,) = m.experiments
    assert e.overcommit == [1, 2, 4] and set(e.dims["sched"]) == {"cfs", "rr", "gang"}
    assert set(e.dims["lock"]) == {"ticket", "pvticket"}


def test_tlb_matrix_has_every_flush_kind():
    m = bench_matrix.load(REPO / "tools" / "bench" / "tlb.matrix")
    assert m.name == "tlb" and m.emu == "bochs" and m.pcpus == 4
    (e,) = m.experiments
    assert e.overcommit == [1, 2, 3] and e.dims["tlb"] == ["native", "pv", "hv"]
    assert e.dims["sched"] == ["cfs", "rr"]


# --- speed-up and efficiency --------------------------------------------------

def synth(config, k, values, lock, ple="off", status="pass"):
    return [{"experiment": "e", "config": config, "overcommit": k, "cell": f"{config}-{k}",
             "lock": lock, "ple": ple, "sched": "rr", "task": "lockstress", "repeat": i,
             "status": status, "reason": "", "log": "x", "throughput_vm_mean": v}
            for i, v in enumerate(values)]


@pytest.fixture
def rows():
    return (synth("ticket", 1, [100, 120, 110], "ticket")
            + synth("ticket", 2, [10, 20, 30], "ticket")
            + synth("ticket+PLE", 1, [90, 90, 90], "ticket", "on")
            + synth("ticket+PLE", 2, [40, 50, 60], "ticket", "on")
            + synth("pvticket", 1, [100, 100, 100], "pvticket")
            + synth("pvticket", 2, [45, 50, 55], "pvticket")
            + synth("pvticket", 2, [1e9], "pvticket", status="fail"))


def test_cell_stats_ignore_failed_runs(rows):
    st = bench_report.cell_stats(rows, "throughput_vm_mean")
    assert st[("pvticket", 2)] == (50, 45, 55, 3)
    assert st[("ticket", 1)] == (110, 100, 120, 3)


def test_speedups(rows):
    ref, table = bench_report.speedups(rows)
    assert ref == "pvticket"
    assert table["ticket"] == {1: pytest.approx(100 / 110), 2: pytest.approx(2.5)}
    assert table["ticket+PLE"] == {1: pytest.approx(100 / 90), 2: pytest.approx(1.0)}


def test_speedups_lower_is_better_for_latency():
    rows = [dict(r, tlb=r["lock"].replace("pvticket", "pv").replace("ticket", "native"),
                 task="tlbstress", lock=None, throughput_vm_mean=None,
                 tlb_p50=r["throughput_vm_mean"])
            for r in synth("native", 1, [200], "ticket") + synth("pv", 1, [50], "pvticket")]
    assert bench_report.primary_metric(rows) == "tlb_p50"
    ref, table = bench_report.speedups(rows)
    assert ref == "pv" and table["native"][1] == pytest.approx(4.0)


def test_efficiency_against_fair_share(rows):
    eff = bench_report.efficiency(rows)
    assert eff["ticket"] == {1: pytest.approx(1.0), 2: pytest.approx(20 * 2 / 110)}
    assert eff["pvticket"][2] == pytest.approx(1.0)


def test_summary_tables(rows):
    text = bench_report.summary(rows, ["- header"], {"e": ["plot-e.png"]})
    assert "| pvticket | 100 | 50 (45–55) |" in text
    assert "| 2x | 2.50 | 1.00 |" in text          # speed-up row
    assert "| ticket | 0.36 |" in text              # efficiency 20 * 2 / 110
    assert "![e](plot-e.png)" in text
    assert "failed: pvticket-2 r0" in text


# --- the runner: resume against a fake QEMU ---------------------------------

@pytest.fixture
def fake(tmp_path, fixtures, monkeypatch):
    """A QEMU stand-in that replays the recorded log; with seed=2 on its
    command line it stops before the `end` record (an interrupted run)
    unless FAKE_COMPLETE is set. Every call appends its -append to calls."""
    script = tmp_path / "qemu.sh"
    calls = tmp_path / "calls"
    script.write_text(f"""#!/bin/sh
for a; do case "$a" in vms=*) args="$a";; esac; done
[ -n "$args" ] || exit 0
echo "$args" >> {calls}
case "$args" in *seed=2*) [ -z "$FAKE_COMPLETE" ] && {{ grep -v '"kind":"end"' {fixtures / LOG}; exit 0; }};; esac
cat {fixtures / LOG}
exit 33
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PVHV_QEMU", str(script))
    images = tmp_path / "build"
    images.mkdir()
    for name in ("hv.elf", "guest.elf"):
        (images / name).write_bytes(b"\x7fELF")
    return {"calls": calls, "images": images}


def test_resume_skips_finished_and_redoes_unfinished(tmp_path, fake, monkeypatch):
    matrix = tmp_path / "one.matrix"
    matrix.write_text("[bench]\npcpus = 2\nrepeats = 2\nseed = 1\nduration = 300\n"
                      "[locks]\novercommit = 2\nlock = pvticket\n")
    out = tmp_path / "out"
    argv = [str(matrix), "--out", str(out), "--images", str(fake["images"]), "--jobs", "2"]
    assert bench.main(argv) == 1                   # r1 has no end record: failed
    calls = fake["calls"].read_text().splitlines()
    assert calls[0] == bench.PROBE_ARGS and len(calls) == 3
    logs = out / "logs"
    r0, r1 = logs / "locks-2x-r0.log", logs / "locks-2x-r1.log"
    assert pvhv_log.last(pvhv_log.parse_file(r0), "end") is not None
    assert pvhv_log.last(pvhv_log.parse_file(r1), "end") is None
    assert not list(logs.glob(".*part"))
    assert json.loads((logs / "locks-2x-r0.json").read_text())["cmdline"] == \
        "vms=2 vcpus=2 duration=300 seed=1"   # lock=pvticket is the probed default
    with open(out / "runs.csv") as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["pass", "fail"]
    before = r0.stat().st_mtime_ns

    monkeypatch.setenv("FAKE_COMPLETE", "1")
    assert bench.main(["--resume", str(out)]) == 0
    calls = fake["calls"].read_text().splitlines()
    assert calls[3:] == ["vms=2 vcpus=2 duration=300 seed=2"]   # only r1 again
    assert r0.stat().st_mtime_ns == before
    with open(out / "runs.csv") as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["pass", "pass"]
    info = json.loads((out / "bench.json").read_text())
    assert len(info["sessions"]) == 2 and info["defaults"]["lock"] == "pvticket"
    assert bench.main(["--resume", str(out)]) == 0          # nothing left to do
    assert len(fake["calls"].read_text().splitlines()) == 4


def test_unsupported_key_is_reported_not_fatal(tmp_path, monkeypatch):
    script = tmp_path / "qemu.sh"
    script.write_text("""#!/bin/sh
for a; do case "$a" in vms=*) args="$a";; esac; done
echo '@pvhv {"kind":"run","config":null}'
case "$args" in
*ple=on*) echo '@pvhv {"kind":"error","key":"ple","value":"on","message":"ple=on: unknown key"}'
          echo '@pvhv {"kind":"end","status":"fail","reason":"ple=on: unknown key"}'; exit 35;;
esac
echo '@pvhv {"kind":"lock_vm","vm":0,"throughput":5}'
echo '@pvhv {"kind":"end","status":"pass","reason":"ok"}'; exit 33
""")
    script.chmod(0o755)
    monkeypatch.setenv("PVHV_QEMU", str(script))
    images = tmp_path / "b"
    images.mkdir()
    for name in ("hv.elf", "guest.elf"):
        (images / name).write_bytes(b"")
    matrix = tmp_path / "m.matrix"
    matrix.write_text("[bench]\nrepeats = 1\nduration = 10\n[locks]\novercommit = 1 2\n"
                      "ple = off on\n")
    out = tmp_path / "out"
    assert bench.main([str(matrix), "--out", str(out), "--images", str(images)]) == 0
    with open(out / "runs.csv") as f:
        status = {r["cell"]: r["status"] for r in csv.DictReader(f)}
    assert status == {"locks-1x-ple_off": "pass", "locks-1x-ple_on": "unsupported",
                      "locks-2x-ple_off": "pass", "locks-2x-ple_on": "unsupported"}
    summary = (out / "summary.md").read_text()
    assert "unsupported by this hypervisor: `ple=on: unknown key`" in summary
    assert "| default | 5 | 5 |" in summary


# --- one real run -------------------------------------------------------------

def test_one_cell_matrix_end_to_end(tmp_path):
    images = Path(os.environ.get("PVHV_BENCH_IMAGES", REPO / "build"))
    if not (images / "hv.elf").is_file() or not (images / "guest.elf").is_file():
        pytest.skip(f"no hv.elf/guest.elf in {images} (make all)")
    matrix = tmp_path / "e2e.matrix"
    matrix.write_text("[bench]\npcpus = 2\nrepeats = 1\nduration = 300\n"
                      "[locks]\novercommit = 1\nlock = pvticket\n")
    out = tmp_path / "out"
    rc = bench.main([str(matrix), "--out", str(out), "--images", str(images)])
    with open(out / "runs.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1, rows
    row = rows[0]
    assert rc == 0 and row["status"] == "pass", row
    assert row["vms"] == "1" and row["vcpus"] == "2" and row["pcpus"] == "2"
    records = pvhv_log.parse_file(out / row["log"])
    assert pvhv_log.first(records, "run")["config"]["duration"] == 300
    (vm,) = pvhv_log.of_kind(records, "lock_vm")
    assert float(row["throughput_vm_mean"]) == vm["throughput"]
    assert float(row["throughput_total"]) == vm["throughput"]
    summary = (out / "summary.md").read_text()
    assert f"| pvticket | {vm['throughput']} |" in summary
    assert "```ini" in summary and "commit: `" in summary
    for ext in ("png", "svg"):
        assert (out / f"plot-locks.{ext}").stat().st_size > 1000


def test_jain_index_bounds():
    assert bench_report.jain([5, 5, 5, 5]) == pytest.approx(1.0)
    assert bench_report.jain([8, 0, 0, 0]) == pytest.approx(0.25)   # 1/n
    assert bench_report.jain([3, 1]) == pytest.approx(16 / 20)
    assert bench_report.jain([]) is None and bench_report.jain([0, 0]) is None


def test_zoo_table_of_recorded_log(fixtures, records):
    import zoo_table
    cells = zoo_table.collect([fixtures / LOG])
    vms = pvhv_log.of_kind(records, "lock_vm")
    (lock, k), = cells.keys()
    assert lock == vms[0]["lock"] and k == len(vms)
    text = zoo_table.table(cells)
    total = sum(r["acquisitions"] for r in vms)
    assert f"{total} mutual-exclusion-checked acquisitions, 0 violations." in text
    assert f"| {lock} | {k}x |" in text


# --- GNU parallel job list ------------------------------------------------------

def test_job_list_runs_through_gnu_parallel(tmp_path, fake, monkeypatch):
    """--job-list writes one line per run; GNU parallel runs them (2 at a
    time, against the fake QEMU); each job leaves its log in the results
    folder and --report merges them; a second list holds only what is left."""
    import shutil
    import subprocess
    if shutil.which("parallel") is None:
        pytest.fail("GNU parallel not installed (make deps installs Debian's `parallel`)")
    monkeypatch.setenv("FAKE_COMPLETE", "1")
    matrix = tmp_path / "par.matrix"
    matrix.write_text("[bench]\npcpus = 2\nrepeats = 2\nseed = 1\nduration = 300\n"
                      "[locks]\novercommit = 1 2\nlock = pvticket\n")
    out, jobs = tmp_path / "out", tmp_path / "jobs.txt"
    assert bench.main([str(matrix), "--out", str(out), "--images", str(fake["images"]),
                       "--job-list", str(jobs)]) == 0
    lines = jobs.read_text().splitlines()
    assert len(lines) == 4 and all(" --one " in line for line in lines)
    assert not list((out / "logs").glob("*.log"))          # nothing ran yet
    p = subprocess.run(["parallel", "--will-cite", "--jobs", "2", "--joblog",
                        str(out / "parallel.log")], stdin=open(jobs), capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert len(list((out / "logs").glob("locks-*.log"))) == 4
    assert bench.main(["--report", str(out)]) == 0
    with open(out / "runs.csv") as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["pass"] * 4
    (out / "logs" / "locks-2x-r1.log").unlink()
    assert bench.main(["--resume", str(out), "--job-list", str(jobs)]) == 0
    assert jobs.read_text().splitlines() == [lines[3]]


# --- the runner's other paths (issue 18): dry run, report, interrupt,
# resume on the copied images ---------------------------------------------

def _matrix(tmp_path, repeats=2):
    matrix = tmp_path / "one.matrix"
    matrix.write_text(f"[bench]\npcpus = 2\nrepeats = {repeats}\nseed = 1\nduration = 300\n"
                      "[locks]\novercommit = 2\nlock = pvticket\n")
    return matrix


def test_dry_run_prints_every_run_and_boots_nothing(tmp_path, fake, capsys):
    out = tmp_path / "out"
    assert bench.main([str(_matrix(tmp_path)), "--out", str(out), "--images",
                       str(fake["images"]), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["locks-2x-r0", "locks-2x-r1"]
    assert all("--smp 2 --args 'vms=2 vcpus=2" in ln for ln in lines), lines
    assert "seed=1" in lines[0] and "seed=2" in lines[1]
    assert not fake["calls"].exists(), "a dry run booted something"
    assert not out.exists(), "a dry run wrote results"


def test_report_rebuilds_tables_from_the_logs_alone(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("FAKE_COMPLETE", "1")
    out = tmp_path / "out"
    assert bench.main([str(_matrix(tmp_path)), "--out", str(out), "--images",
                       str(fake["images"])]) == 0
    runs, summary = (out / "runs.csv").read_text(), (out / "summary.md").read_text()
    calls = fake["calls"].read_text()
    (out / "runs.csv").unlink()
    (out / "summary.md").unlink()
    assert bench.main(["--report", str(out)]) == 0
    assert (out / "runs.csv").read_text() == runs
    assert (out / "summary.md").read_text() == summary
    assert fake["calls"].read_text() == calls, "--report booted something"


def test_sigterm_stops_the_matrix_and_says_how_to_resume(tmp_path, fake, monkeypatch, capsys):
    """The fake QEMU of the second run sends SIGTERM to this process (the
    bench runner runs in it): the runner stops, keeps the finished run,
    writes the report, exits 130 and prints the --resume line."""
    monkeypatch.setenv("FAKE_COMPLETE", "1")
    script = fake["images"].parent / "qemu.sh"
    text = script.read_text().replace(
        'case "$args" in *seed=2*)',
        f'case "$args" in *seed=2*) kill -TERM {os.getpid()}; sleep 5; exit 1;; esac\n'
        'case "$args" in *seed=99*)')
    script.write_text(text)
    out = tmp_path / "out"
    old = signal.getsignal(signal.SIGTERM)
    try:
        rc = bench.main([str(_matrix(tmp_path)), "--out", str(out), "--images",
                         str(fake["images"]), "--jobs", "1"])
    finally:
        signal.signal(signal.SIGTERM, old)
    err = capsys.readouterr().err
    assert rc == 130, err
    assert f"interrupted; finish with: " in err and f"--resume {out}" in err, err
    logs = out / "logs"
    assert (logs / "locks-2x-r0.log").is_file()
    assert not (logs / "locks-2x-r1.log").exists()
    assert not list(logs.glob(".*part")), "a half-written log was left"
    assert (out / "summary.md").is_file()


def test_resume_boots_the_images_copied_at_the_start(tmp_path, fake, monkeypatch):
    """A rebuilt build/ between start and resume must not leak into the
    matrix: every run, resumed ones too, boots out/images/."""
    script = fake["images"].parent / "qemu.sh"
    kernels = tmp_path / "kernels"
    script.write_text(script.read_text().replace(
        "[ -n \"$args\" ] || exit 0",
        "[ -n \"$args\" ] || exit 0\n"
        "prev=; for a; do [ \"$prev\" = -kernel ] && { echo \"$a\"; cat \"$a\"; echo; } "
        f">> {kernels}; prev=$a; done"))
    (fake["images"] / "hv.elf").write_bytes(b"ORIGINAL")
    out = tmp_path / "out"
    assert bench.main([str(_matrix(tmp_path)), "--out", str(out), "--images",
                       str(fake["images"])]) == 1          # r1 unfinished
    (fake["images"] / "hv.elf").write_bytes(b"REBUILT")
    monkeypatch.setenv("FAKE_COMPLETE", "1")
    assert bench.main(["--resume", str(out)]) == 0
    seen = kernels.read_text().splitlines()
    paths, contents = seen[0::2], seen[1::2]
    assert len(paths) == 4                                  # probe, r0, r1, r1 again
    assert all(p == str(out / "images" / "hv.elf") for p in paths), paths
    assert contents == ["ORIGINAL"] * 4, contents
