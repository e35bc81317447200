#!/usr/bin/python3
"""The short end-of-run summary that `make run` prints (issue 10, item 8):
one line per VM (and per lock phase) from the @pvhv records, showing the
mechanism: throughput, fair-share efficiency when a 1x figure is known,
spin waste (the `spin_waste` field of lock_vm when the hypervisor reports
it), pv slow-path halts and kicks, mutual-exclusion violations.

    pvhv_summary.py LOG [--baseline ACQ_PER_S] [--pcpus P]

pvhv_run.py prints it after every run it streams (`--summary`, on for make
run). Fair share: a VM at k-x over-commit deserves T1x/k, where T1x is one
VM's throughput alone on the machine (--baseline; `make bench` measures it)
and k = all vCPUs / pCPUs; efficiency = throughput / (T1x/k).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pvhv_log  # noqa: E402


def _waste(rec):
    v = rec.get("spin_waste")
    if v is None:
        return "n/a"
    return f"{v:.1%}" if isinstance(v, float) and v <= 1 else str(v)


def lines(records, baseline=None):
    """Summary lines (strings) for the lockstress VMs of one run."""
    run = pvhv_log.first(records, "run") or {}
    cfg = run.get("config") or {}
    pcpus = run.get("pcpus") or 0
    total_vcpus = sum(r.get("vcpus", 0) for r in pvhv_log.of_kind(records, "vm"))
    k = total_vcpus / pcpus if pcpus and total_vcpus else None
    vcpu_recs = pvhv_log.of_kind(records, "lock_vcpu")
    out = []
    for vm in sorted(pvhv_log.of_kind(records, "lock_vm"),
                     key=lambda r: (r.get("vm", 0), r.get("phase", 0))):
        mine = [r for r in vcpu_recs if r.get("vm") == vm.get("vm")
                and r.get("phase", 0) == vm.get("phase", 0)]
        halts = sum(r.get("halts", 0) for r in mine)
        kicks = sum(r.get("kicks_sent", 0) for r in mine)
        tput = vm.get("throughput", 0)
        if baseline and k:
            eff = f"{tput / (baseline / k):.2f} of fair share (T1x={baseline:g}/s, {k:g}x)"
        else:
            eff = "fair share n/a (needs a 1x figure: --baseline)"
        phases = {r.get("phase", 0) for r in pvhv_log.of_kind(records, "lock_vm")}
        phase = f" phase {vm['phase']}" if len(phases) > 1 else ""
        out.append(f"vm{vm.get('vm')}{phase}: {vm.get('lock', cfg.get('lock', '?'))} "
                   f"{tput}/s, {eff}, spin waste {_waste(vm)}, halts {halts}, kicks {kicks}, "
                   f"violations {vm.get('violations', '?')}")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="One summary line per VM of a pvhv serial log.")
    ap.add_argument("log")
    ap.add_argument("--baseline", type=float, help="1x throughput of one VM (acquisitions/s)")
    opts = ap.parse_args(argv)
    for line in lines(pvhv_log.parse_file(opts.log), opts.baseline):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
