"""Unit tests of tools/pvhv_log.py on a synthetic log (fixtures/sample.log)
that follows the @pvhv schema of DESIGN.md §9: parsing, indexing, CSV and
Markdown output, and the command line."""

import csv
import subprocess
import sys

import pytest

import pvhv_log


def test_parse_finds_every_record_in_order(sample_text):
    records = pvhv_log.parse(sample_text)
    assert records[0]["kind"] == "run"
    assert records[-1]["kind"] == "end"
    assert len(records) == 19  # 1 run, 2 smp, 1 mystery, 4+2 lock, 2 vm, 4 hv_vcpu, 2 pcpu, 1 end
    assert pvhv_log.kinds(records) == ["run", "smp", "mystery", "lock_vcpu", "lock_vm",
                                       "vm", "hv_vcpu", "pcpu", "end"]


def test_parse_counts_malformed_lines(sample_text):
    records = pvhv_log.parse(sample_text)
    # cut-off JSON, a JSON list, an object without "kind"
    assert len(records.malformed) == 3


def test_parse_trusts_only_lines_that_start_with_the_prefix():
    """Issue 13 item 5: guest text is tagged "[vmX.vcpuY] " by the
    hypervisor, so a record a guest prints is never taken for one."""
    text = ('@pvhv {"kind":"x","a":1}\r\n'
            '[vm0.vcpu0] @pvhv {"kind":"end","status":"pass"}\n'
            'junk 1.2: @pvhv {"kind":"end","status":"pass"}\n'
            ' @pvhv {"kind":"end","status":"pass"}\n'
            '@pvhv {"kind":"y"}\n')
    records = pvhv_log.parse(text)
    assert records == [{"kind": "x", "a": 1}, {"kind": "y"}]
    assert records.malformed == []


def test_parse_splits_lines_at_newline_only():
    """Python's splitlines also splits at \\x1c, \\x85, U+2028...: a guest
    line holding one must not start a new (trusted) line."""
    for sep in ("\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x0b", "\x0c"):
        text = f'[vm0.vcpu0] hi{sep}@pvhv {{"kind":"end","status":"pass"}}\n'
        assert pvhv_log.parse(text) == [], repr(sep)


def test_parse_takes_text_after_the_prefix():
    assert pvhv_log.parse('@pvhv {"kind":"a","s":"@pvhv inside"}') == [
        {"kind": "a", "s": "@pvhv inside"}]


def test_parse_ignores_lines_without_prefix():
    records = pvhv_log.parse('pvhv {"kind":"x"}\n@pvhv{"kind":"y"}\n')
    assert records == [] and records.malformed == []


def test_parse_rejects_non_string_kind():
    records = pvhv_log.parse('@pvhv {"kind":3}\n')
    assert records == [] and len(records.malformed) == 1


def test_of_kind_first_last_by_kind(sample_text):
    records = pvhv_log.parse(sample_text)
    assert len(pvhv_log.of_kind(records, "hv_vcpu")) == 4
    assert pvhv_log.first(records, "vm")["vm"] == 0
    assert pvhv_log.last(records, "vm")["vm"] == 1
    assert pvhv_log.last(records, "nothing") is None
    grouped = pvhv_log.by_kind(records)
    assert list(grouped) == pvhv_log.kinds(records)
    assert len(grouped["pcpu"]) == 2


def test_by_key_indexes_by_tuple(sample_text):
    records = pvhv_log.parse(sample_text)
    hv = pvhv_log.by_key(records, "hv_vcpu", ("vm", "vcpu"))
    assert sorted(hv) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert hv[(0, 1)]["kicks_received"] == 12
    assert pvhv_log.by_key(records, "vm", ("vm",))[(1,)]["state"] == "done"


def test_by_key_refuses_duplicates_and_missing_keys():
    dup = pvhv_log.parse('@pvhv {"kind":"vm","vm":0}\n@pvhv {"kind":"vm","vm":0}\n')
    with pytest.raises(ValueError, match="two vm records"):
        pvhv_log.by_key(dup, "vm", ("vm",))
    with pytest.raises(ValueError, match="lacks"):
        pvhv_log.by_key(pvhv_log.parse('@pvhv {"kind":"vm"}'), "vm", ("vm",))


def test_parse_keeps_exactly_the_prefixed_lines(sample_text):
    """Counted without the parser: every line starting with the prefix is
    either a record or a malformed line, and nothing else is either."""
    lines = [ln for ln in sample_text.split("\n") if ln.startswith(pvhv_log.PREFIX)]
    records = pvhv_log.parse(sample_text)
    assert len(records) + len(records.malformed) == len(lines)
    assert all(r.get("reason") != "forged on COM1" for r in records)
    assert len(pvhv_log.of_kind(records, "end")) == 1


def test_flatten_dots_and_lists():
    flat = pvhv_log.flatten({"kind": "k", "latency": {"p99": 5, "buckets": [1, 2, 3]},
                             "exits": {"hlt": 2}, "deep": {"a": {"b": True}}, "none": None})
    assert flat == {"kind": "k", "latency.p99": 5, "latency.buckets": "1;2;3",
                    "exits.hlt": 2, "deep.a.b": True, "none": None}


def test_write_csvs_one_file_per_kind(sample_text, tmp_path):
    records = pvhv_log.parse(sample_text)
    paths = pvhv_log.write_csvs(records, tmp_path / "csv")
    names = sorted(p.rsplit("/", 1)[-1] for p in paths)
    assert names == sorted(k + ".csv" for k in pvhv_log.kinds(records))
    with open(tmp_path / "csv" / "lock_vcpu.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4
    assert rows[0]["latency.p99"] == "4194304"
    assert rows[0]["latency.buckets"].split(";")[11:13] == ["120", "30000"]
    with open(tmp_path / "csv" / "hv_vcpu.csv", newline="") as f:
        hv = list(csv.DictReader(f))
    assert hv[1]["exits.hlt"] == "1350" and hv[1]["hypercalls.kick_cpu"] == "9"
    with open(tmp_path / "csv" / "run.csv", newline="") as f:
        run = next(csv.DictReader(f))
    assert run["config.lock"] == "pvticket" and run["config.vms"] == "2"


def test_write_csvs_union_of_columns(tmp_path):
    records = pvhv_log.parse('@pvhv {"kind":"k","a":1}\n@pvhv {"kind":"k","b":{"c":2}}\n')
    pvhv_log.write_csvs(records, tmp_path)
    with open(tmp_path / "k.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["kind", "a", "b.c"], ["k", "1", ""], ["k", "", "2"]]


def test_write_csvs_keeps_odd_kinds_inside_dir(tmp_path):
    records = pvhv_log.parse('@pvhv {"kind":"../evil/x"}\n')
    (path,) = pvhv_log.write_csvs(records, tmp_path / "out")
    assert path.startswith(str(tmp_path / "out") + "/")
    assert "/" not in path.rsplit("/", 1)[-1]


def test_markdown_sections(sample_text):
    md = pvhv_log.markdown(pvhv_log.parse(sample_text))
    assert "- backend: svm" in md
    assert "- pcpus: 2" in md
    assert "lock=pvticket" in md and "duration=1500" in md
    assert "| 1 | 2 | done | guest finished | 0 |" in md
    assert "| 0 | 0 | pvticket | 51234 | 2048 | 4194304 | 33554432 | 1402 | 1380 | 12 | 3 | 0 |" in md
    assert "## Lock throughput per VM" in md and "| 67497 |" in md
    assert "| vm | vcpu | total | vmmcall | hlt |" in md
    assert "| 0 | 0 | 1579 | 40 | 1380 |" in md          # exits by reason with total
    assert "| vm | vcpu | total | kick_cpu |" in md       # hypercalls table
    assert "| 0 | 0 | 0 | 1210.000 | 240.000 | 50.000 | 1531 | 14 | 9 |" in md
    assert "| 0 | 30.000 | 1470.000 | 2.0 | 5802 |" in md  # pCPU idle
    assert "## Other: mystery" in md and "nested.a" in md
    assert "3 malformed" in md
    assert "| pass | 2 | 0 | all VMs done |" in md


def test_markdown_on_failed_run():
    text = ('@pvhv {"kind":"run","backend":"svm","cpu":"c","pcpus":1,"config":{"vms":1000}}\n'
            '@pvhv {"kind":"error","key":"vms","value":"1000","message":"vms=1000: must be 1..16"}\n'
            '@pvhv {"kind":"end","status":"fail","vms_done":0,"vms_killed":0,"reason":"bad config"}\n')
    md = pvhv_log.markdown(pvhv_log.parse(text))
    assert "## Errors" in md and "| vms | 1000 | vms=1000: must be 1..16 |" in md
    assert "| fail | 0 | 0 | bad config |" in md
    assert "## VMs" not in md


def test_markdown_without_end_says_so():
    md = pvhv_log.markdown(pvhv_log.parse('@pvhv {"kind":"run","config":{}}'))
    assert "No `end` record" in md


def run_cli(*args):
    return subprocess.run([sys.executable, str(pvhv_log.__file__), *args],
                          capture_output=True, text=True)


def test_cli_writes_csv_and_markdown(fixtures, tmp_path):
    res = run_cli(str(fixtures / "sample.log"), "--csv-dir", str(tmp_path / "csv"),
                  "--markdown", str(tmp_path / "s.md"))
    assert res.returncode == 0, res.stderr
    assert "3 malformed" in res.stderr
    assert (tmp_path / "csv" / "hv_vcpu.csv").is_file()
    assert (tmp_path / "s.md").read_text().startswith("# pvhv run summary")


def test_cli_prints_markdown_by_default(fixtures):
    res = run_cli(str(fixtures / "sample.log"))
    assert res.returncode == 0 and "## Locks per vCPU" in res.stdout


def test_cli_errors(tmp_path):
    assert run_cli(str(tmp_path / "missing.log")).returncode == 1
    empty = tmp_path / "empty.log"
    empty.write_text("no records here\n")
    res = run_cli(str(empty))
    assert res.returncode == 1 and "no @pvhv records" in res.stderr
