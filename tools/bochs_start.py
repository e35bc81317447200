#!/usr/bin/python3
"""How long Bochs takes to reach pvhv's first serial line (issue 10 item 2),
split at the moment Bochs logs the BIOS's first message:

    bochs_start.py [--smp 1 4] [--rounds 5] [--args 'vms=1 vcpus=1 task=smp']

Each round boots every --smp count once (interleaved, so host load hits
them alike) through the same direct boot as tools/pvhv_run.py (option ROM,
images in RAM, the same bochsrc), polls Bochs' log and COM1 every
millisecond and stops Bochs at the first COM1 line. Prints per boot and the
medians: start-up (Bochs launched -> the BIOS's first log message: Bochs'
own initialisation and the BIOS's first ~4660 instructions),
emulated (that message -> pvhv's first line: BIOS POST, the option ROM and
pvhv up to its banner) and their sum, twice: host wall time, and the CPU
time the processes of the Bochs session had used by then (their
/proc/PID/schedstat run times: `script`, the shell it starts and Bochs),
which another emulator on the same cores disturbs far less than wall
time. Host figures, not benchmark results; run it under
/work/bin/emu-turn.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pvhv_bochs
from pvhv_run import _answer, _continue_debugger_stops, _kill_group

POLL_S = 0.001
BIOS_MARK = b"[BIOS  ]"     # how Bochs tags the BIOS's port-0x403 messages
TIMEOUT_S = 60


def session_cpu_s(root):
    """CPU seconds used so far by process root and its live descendants
    (`script` puts Bochs in a session of its own, on its pty)."""
    parent, run_ns = {}, {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            parent[int(pid)] = int(stat[stat.rindex(")") + 2:].split()[1])
            run_ns[int(pid)] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    total = 0
    for pid, ns in run_ns.items():
        p = pid
        while p > 1 and p != root:
            p = parent.get(p, 0)
        if p == root:
            total += ns
    return total / 1e9


def one_boot(smp, args, hv, guest):
    """((start-up, emulated) wall s, (start-up, emulated) CPU s) of one boot."""
    work = Path(tempfile.mkdtemp(prefix="pvhv-bochs-start-"))
    try:
        serial = work / "com1.log"
        serial.touch()
        images = pvhv_bochs.make_bochs_direct(work, f"{args} ips={pvhv_bochs.BOCHS_IPS}", hv, guest)
        rc = pvhv_bochs.write_bochsrc(work, None, smp, pvhv_bochs.BOCHS_DEFAULT_MEM, serial,
                                      ram_images=images, optrom=pvhv_bochs.DEFAULT_OPTROM)
        log = work / "bochs.log"
        t0 = time.monotonic()
        proc = subprocess.Popen(pvhv_bochs.bochs_cmd(rc), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                start_new_session=True, cwd=work)
        try:
            _answer(proc, b"c\n")
            threading.Thread(target=_continue_debugger_stops, args=(proc,), daemon=True).start()
            t_bios = t_line = c_bios = c_line = None
            while t_line is None and time.monotonic() - t0 < TIMEOUT_S:
                now = time.monotonic()
                if t_bios is None and log.is_file() and BIOS_MARK in log.read_bytes():
                    t_bios, c_bios = now, session_cpu_s(proc.pid)
                if b"\n" in serial.read_bytes():
                    t_line, c_line = now, session_cpu_s(proc.pid)
                    if t_bios is None:
                        t_bios, c_bios = now, c_line
                time.sleep(POLL_S)
        finally:
            _kill_group(proc)
        if t_line is None:
            raise SystemExit(f"bochs_start: no serial line within {TIMEOUT_S} s at --smp {smp}")
        return (t_bios - t0, t_line - t_bios), (c_bios, c_line - c_bios)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smp", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--args", default="vms=1 vcpus=1 task=smp")
    ap.add_argument("--hv", default=str(pvhv_bochs.DEFAULT_HV))
    ap.add_argument("--guest", default=str(pvhv_bochs.DEFAULT_GUEST))
    opts = ap.parse_args()
    got = {n: {"wall": [], "cpu": []} for n in opts.smp}
    for r in range(opts.rounds):
        for n in opts.smp:
            wall, cpu = one_boot(n, opts.args, opts.hv, opts.guest)
            got[n]["wall"].append(wall)
            got[n]["cpu"].append(cpu)
            print(f"round {r} smp {n}: wall {wall[0]:.3f} + {wall[1]:.3f} s, "
                  f"CPU {cpu[0]:.3f} + {cpu[1]:.3f} s", flush=True)
    for what in ("wall", "cpu"):
        print(f"\n{what} time, median of {opts.rounds}:\n")
        print("| pCPUs | Bochs start-up (to the BIOS's first message) | BIOS + option ROM + "
              "pvhv to its first line | first line |")
        print("| ---: | ---: | ---: | ---: |")
        base = None
        for n in opts.smp:
            pairs = got[n][what]
            s = statistics.median(x for x, _ in pairs)
            e = statistics.median(y for _, y in pairs)
            t = statistics.median(x + y for x, y in pairs)
            base = t if base is None else base
            ratio = "" if n == opts.smp[0] else f" ({t / base:.2f}x)"
            print(f"| {n} | {s:.3f} s | {e:.3f} s | {t:.3f} s{ratio} |")


if __name__ == "__main__":
    main()
