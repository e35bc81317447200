"""tools/pvhv_fuzz.py's judgement of one make-fuzz run and its table, on
synthetic logs: a run is good only with an end record, a fuzzed VM that
finished or was killed with a reason, and a clean stress VM."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import pvhv_fuzz  # noqa: E402


def rec(**kw):
    return "@pvhv " + json.dumps(kw)


def log(fuzz_vm, end=True, violations=0, stale=0, fuzz_ops=100):
    lines = [
        rec(kind="vm", vm=0, state="done", reason="guest finished", guest_status=0),
        rec(kind="vm", vm=1, **fuzz_vm),
        rec(kind="lock_vm", vm=0, violations=violations, counter_mismatches=0),
        rec(kind="tlb_vm", vm=0, stale_reads=stale),
        "[vm1.vcpu0] @pvhv " + json.dumps({"kind": "end", "status": "pass"}),
    ]
    if fuzz_vm.get("state") == "done":
        lines.append(rec(kind="fuzz", vm=1, vcpu=0, ops=fuzz_ops))
    if end:
        lines.append(rec(kind="end", status="fail", reason="a VM was killed"))
    return "\n".join(lines) + "\n"


DONE = {"state": "done", "reason": "guest finished", "guest_status": 0}
KILLED = {"state": "killed", "reason": "vcpu 0 accessed GPA 0x1000000 outside its 16M",
          "last_ops_total": 43, "last_ops": ["41 cpuid 0x1 0x0 -> 0", "42 fatal-hole 0x1000000 0x0"]}


def test_good_and_bad_runs(tmp_path):
    (tmp_path / "qemu-seed1.log").write_text(log(DONE))
    (tmp_path / "qemu-seed2.log").write_text(log(KILLED))
    lines, good = pvhv_fuzz.table(tmp_path)
    assert good, lines
    assert "| qemu | 2 | 43 | killed |" in "\n".join(lines)
    assert "42 fatal-hole" in "\n".join(lines)
    assert "| qemu | 2 | 143 | 1 | 1 | 0 |" in lines

    (tmp_path / "bochs-seed1.log").write_text(log(DONE, end=False))
    lines, good = pvhv_fuzz.table(tmp_path)
    assert not good and "no end record" in "\n".join(lines)


def test_stress_vm_problems_make_a_run_bad(tmp_path):
    for name, text in (("qemu-seed1.log", log(DONE, violations=1)),
                       ("qemu-seed2.log", log(DONE, stale=2)),
                       ("qemu-seed3.log", log({"state": "killed", "reason": ""}))):
        (tmp_path / name).write_text(text)
    lines, good = pvhv_fuzz.table(tmp_path)
    assert not good
    assert "| qemu | 3 | 200 | 2 | 1 | 3 |" in lines, lines


def test_hypervisor_panic_makes_a_run_bad_even_with_an_end_record(tmp_path):
    panic = "\nPANIC: exception #DB debug (vector 1, error 0) in the hypervisor\n"
    (tmp_path / "ryzen-seed41.log").write_text(log(DONE) + panic)
    (tmp_path / "qemu-seed1.log").write_text(log(DONE) + "[vm1.vcpu0] PANIC: forged\n")
    lines, good = pvhv_fuzz.table(tmp_path)
    assert not good
    text = "\n".join(lines)
    assert "| ryzen | 1 | 100 | 1 | 0 | 1 |" in lines, lines
    assert "| qemu | 1 | 100 | 1 | 0 | 0 |" in lines, lines   # guest text is no panic
    assert "exception #DB debug" in text, text


def test_forged_guest_end_record_is_not_an_end(tmp_path):
    # The guest's "[vm1.vcpu0] @pvhv {end}" line is not a hypervisor record.
    row = pvhv_fuzz.judge(pvhv_fuzz.pvhv_log.parse(log(DONE, end=False)))
    assert not row["end"] and row["problems"]


def test_seeds_and_cmdline():
    assert pvhv_fuzz.seeds_of("1-3,7") == [1, 2, 3, 7]
    words = pvhv_fuzz.cmdline(5, 1000, 300, "fatal").split()
    assert "vm1.task=fuzz" in words and "seed=5" in words and "vm1.fuzz_extra=fatal" in words
