#!/usr/bin/python3
"""`make fuzz` (issue 13): task=fuzz in one VM next to a VM running
lockstress and tlbstress, many seeds, on QEMU-SVM and Bochs-VMX, and the
table that says how every run ended.

    pvhv_fuzz.py [--platforms qemu,bochs] [--seeds 1-20] [--ops 100000]
                 [--dir build/fuzz] [--wrap CMD] [--extra WORDS] [--hv ELF --guest ELF]
    pvhv_fuzz.py --summarize DIR      (the table of runs already made)

Each run is one boot (tools/pvhv_run.py, its log kept in DIR as
PLATFORM-seedN.log); runs go one after another, each boot behind --wrap
(e.g. /work/bin/emu-turn) if given. A run is good when the hypervisor
ended it with an end record, the fuzzed VM (vm1) finished or was killed
with a reason, and the other VM (vm0) passed with 0 mutual-exclusion
violations, 0 counter mismatches and 0 stale TLB reads. Exit status 0
exactly when every run is good.
"""

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pvhv_log  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FUZZ_VM, STRESS_VM = 1, 0
# Per platform: pvhv_run options and the stress duration (ms of TSC time);
# Bochs's TSC follows its instruction count, so its runs are shorter.
PLATFORMS = {
    "qemu": (["--emu", "qemu"], 300),
    "bochs": (["--emu", "bochs"], 300),
}


def seeds_of(text):
    """'1-20' or '1,5,9' -> a list of ints."""
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def cmdline(seed, ops, duration, extra):
    words = (f"vms=2 vcpus=2 task=lockstress,tlbstress duration={duration} seed={seed} "
             f"vm{FUZZ_VM}.task=fuzz vm{FUZZ_VM}.fuzz_ops={ops}")
    return words + (f" vm{FUZZ_VM}.fuzz_extra={extra}" if extra else "")


def panics(text):
    """The hypervisor's own panic lines (hv/core/panic.c: "PANIC: ..." at
    the start of a line; guest text is always behind "[vmN.vcpuM] ")."""
    return [ln for ln in text.splitlines() if ln.startswith("PANIC:")]


def judge(records, text=""):
    """One run's row: what the table shows and whether it is good. text is
    the serial log: a panic on one pCPU is a hypervisor crash even when
    the others still print the end record (Bochs' AMD model, 2026-12-02:
    "PANIC: exception #DB debug ... in the hypervisor" on pCPU 1, the
    stress VM passed and the run ended at timeout=)."""
    ends = pvhv_log.of_kind(records, "end")
    vms = {r.get("vm"): r for r in pvhv_log.of_kind(records, "vm")}
    fuzz = [r for r in pvhv_log.of_kind(records, "fuzz") if r.get("vm") == FUZZ_VM]
    locks = [r for r in pvhv_log.of_kind(records, "lock_vm") if r.get("vm") == STRESS_VM]
    tlbs = [r for r in pvhv_log.of_kind(records, "tlb_vm") if r.get("vm") == STRESS_VM]
    fvm, svm = vms.get(FUZZ_VM, {}), vms.get(STRESS_VM, {})
    row = {
        "end": bool(ends),
        "fuzz_state": fvm.get("state", "-"),
        "fuzz_reason": fvm.get("reason", ""),
        "ops": fuzz[0].get("ops") if fuzz else fvm.get("last_ops_total", 0),
        "last_op": (fvm.get("last_ops") or [""])[-1],
        "stress_state": svm.get("state", "-"),
        "violations": sum(r.get("violations", 0) + r.get("counter_mismatches", 0) for r in locks),
        "stale_reads": sum(r.get("stale_reads", 0) for r in tlbs),
    }
    problems = []
    if not ends:
        problems.append("no end record (hypervisor crash or hang)")
    for ln in panics(text)[:1]:
        problems.append(f"hypervisor panic: {ln[len('PANIC: '):]}")
    if row["fuzz_state"] not in ("done", "killed") or not row["fuzz_reason"]:
        problems.append("fuzzed VM neither finished nor was killed with a reason")
    if row["stress_state"] != "done" or svm.get("guest_status") != 0:
        problems.append(f"stress VM {row['stress_state']}: {svm.get('reason', '')}")
    if not locks or not tlbs:
        problems.append("stress VM records missing")
    if row["violations"] or row["stale_reads"]:
        problems.append("stress VM saw violations or stale reads")
    row["problems"] = problems
    return row


def run_one(platform, seed, args, outdir):
    opts, duration = PLATFORMS[platform]
    log = outdir / f"{platform}-seed{seed}.log"
    cmd = (shlex.split(args.wrap) if args.wrap else []) + [
        sys.executable, str(ROOT / "tools" / "pvhv_run.py"), *opts, "--quiet",
        "--timeout", str(args.timeout), "--log", str(log),
        "--args", cmdline(seed, args.ops, duration, args.extra)]
    cmd += (["--hv", args.hv] if args.hv else []) + (["--guest", args.guest] if args.guest else [])
    start = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    (outdir / f"{platform}-seed{seed}.secs").write_text(f"{time.monotonic() - start:.1f}\n")
    return log


def table(outdir):
    """(markdown lines, all good) for every PLATFORM-seedN.log in outdir."""
    logs = sorted(outdir.glob("*-seed*.log"),
                  key=lambda p: (p.name.split("-seed")[0], int(p.stem.split("-seed")[1])))
    head = ("| platform | seed | ops | fuzzed VM | reason | last op | stress VM "
            "| violations | stale reads | end record | s | verdict |")
    lines = [head, "|" + " --- |" * 12]
    totals, good_all = {}, True
    for log in logs:
        platform, seed = log.stem.split("-seed")
        row = judge(pvhv_log.parse_file(log), log.read_text("utf-8", "replace"))
        secs = log.with_suffix(".secs")
        secs = secs.read_text().strip() if secs.exists() else "-"
        good = not row["problems"]
        good_all &= good
        t = totals.setdefault(platform, {"runs": 0, "ops": 0, "done": 0, "killed": 0,
                                         "bad": 0, "reasons": {}})
        t["runs"] += 1
        t["ops"] += row["ops"] or 0
        t["bad"] += not good
        if row["fuzz_state"] in ("done", "killed"):
            t[row["fuzz_state"]] += 1
        if row["fuzz_state"] == "killed":
            t["reasons"][row["fuzz_reason"]] = t["reasons"].get(row["fuzz_reason"], 0) + 1
        reason = row["fuzz_reason"] if row["fuzz_state"] == "killed" else ""
        lines.append(f"| {platform} | {seed} | {row['ops']} | {row['fuzz_state']} | {reason} "
                     f"| {row['last_op'] if reason else ''} | {row['stress_state']} "
                     f"| {row['violations']} | {row['stale_reads']} "
                     f"| {'yes' if row['end'] else 'NO'} | {secs} "
                     f"| {'ok' if good else '; '.join(row['problems'])} |")
    lines.append("")
    lines.append("| platform | runs | ops in all | fuzzed VM done | killed | bad runs |")
    lines.append("|" + " --- |" * 6)
    for platform, t in sorted(totals.items()):
        lines.append(f"| {platform} | {t['runs']} | {t['ops']} | {t['done']} | {t['killed']} "
                     f"| {t['bad']} |")
    for platform, t in sorted(totals.items()):
        for reason, n in sorted(t["reasons"].items()):
            lines.append(f"- {platform}: {n} x killed: {reason}")
    return lines, good_all and bool(logs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--platforms", default="qemu,bochs")
    ap.add_argument("--seeds", default="1-20")
    ap.add_argument("--ops", type=int, default=100000)
    ap.add_argument("--extra", default="", help="vm1.fuzz_extra= words")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per boot")
    ap.add_argument("--dir", default=str(ROOT / "build" / "fuzz"))
    ap.add_argument("--wrap", default="", help="command each boot runs behind")
    ap.add_argument("--hv", help="hypervisor ELF (default build/hv.elf)")
    ap.add_argument("--guest", help="guest ELF (default build/guest.elf)")
    ap.add_argument("--summarize", metavar="DIR", help="only print the table of DIR")
    args = ap.parse_args(argv)
    outdir = Path(args.summarize or args.dir)
    if not args.summarize:
        outdir.mkdir(parents=True, exist_ok=True)
        for platform in args.platforms.split(","):
            if platform not in PLATFORMS:
                ap.error(f"unknown platform {platform}; known: {', '.join(PLATFORMS)}")
            for seed in seeds_of(args.seeds):
                run_one(platform, seed, args, outdir)
                print(f"pvhv_fuzz: {platform} seed {seed} done", flush=True)
    lines, good = table(outdir)
    text = "\n".join(lines) + "\n"
    (outdir / "table.md").write_text(text)
    print(text, end="")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
