"""tools/bochs_start.py's CPU clock: it sums the run time of a process and
every live descendant (Bochs runs two levels below the process the tool
starts, in a session of its own), and nothing else."""

import os
import subprocess
import sys

import bochs_start

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\nprint('x', flush=True)\ntime.sleep(30)"


def test_session_cpu_counts_grandchildren_only():
    # setsid -> python in a session of its own (like Bochs under script), 0.3 s of CPU
    p = subprocess.Popen(["sh", "-c", f"exec setsid --wait {sys.executable} -c \"$0\"", BURN],
                         stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert p.stdout.readline() == b"x\n"
        used = bochs_start.session_cpu_s(p.pid)
        assert 0.3 <= used < 2.0
        assert bochs_start.session_cpu_s(1 << 30) == 0      # no such process
    finally:
        os.killpg(p.pid, 9)
        p.wait()
