#!/usr/bin/python3
"""Run a benchmark matrix of pvhv configurations and report it (`make bench`).

    bench.py MATRIX [--out DIR] [--jobs N] [--deterministic]
    bench.py --resume DIR          # finish an interrupted matrix
    bench.py --report DIR          # rebuild runs.csv, summary.md, plots
    bench.py MATRIX --out DIR --job-list FILE   # runs as GNU parallel jobs
    bench.py --one DIR RUN         # one run of DIR's matrix (a job-list line)

Matrix files (tools/bench/*.matrix; full description in bench_matrix.py)
are INI: a [bench] section with pcpus, repeats, seed, duration, timeout and
args (extra fixed hypervisor words), then one section per experiment whose
cells are the cartesian product of its lists, e.g.

    [locks]
    task = lockstress
    overcommit = 1 2 3          # k VMs of `pcpus` vCPUs each on `pcpus` pCPUs
    lock = ticket pvticket
    sched = rr gang
    ple = off on

Every run goes through tools/pvhv_run.py, one process each, several side by
side: by default max(1, host cores // pCPUs), so QEMU's vCPU threads do not
oversubscribe the host (with --deterministic, one per core: each QEMU is then
a single thread). The results folder (default results/<matrix>-<UTC time>/):

    matrix           the exact matrix text      bench.json  settings, host, defaults
    images/          the hv.elf and guest.elf every run boots (copied at the start)
    logs/<run>.log   raw serial log of each run logs/<run>.json  command, exit, wall time
    runs.csv         one row per run            summary.md  tables;  plot-<exp>.png/.svg

Beyond one machine: --job-list FILE sets up the results folder (images,
probe, bench.json) and writes one shell line per unfinished run,
`cd REPO && python3 tools/bench.py --one DIR RUN`, for GNU parallel:

    parallel --jobs 2 --joblog DIR/parallel.log < FILE          # this host
    parallel --sshloginfile hosts --joblog DIR/parallel.log < FILE

Each job boots one run and writes logs/<run>.log and .json into DIR (remote
hosts need the same checkout path and DIR on a shared file system); then
--report DIR merges them, or --resume DIR redoes the ones that failed.

A run is finished when its log has an `end` record; logs are written under a
temporary name and renamed when the run ends, so --resume (or running again
with the same --out) redoes exactly the runs without one. A run that the
hypervisor refuses because of a matrix key (an `error` record naming it, e.g.
`ple=on` before PLE exists) is `unsupported`: kept in runs.csv, skipped in
the tables with a note. Benchmarks report; they do not assert timings.
"""

import argparse
import concurrent.futures
import datetime
import hashlib
import json
import os
import platform
import shutil
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_matrix  # noqa: E402
import bench_report  # noqa: E402
import pvhv_log  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PVHV_RUN = Path(__file__).resolve().parent / "pvhv_run.py"
PROBE_ARGS = "vms=1 vcpus=1 duration=1"
IMAGES = ("hv.elf", "guest.elf")


def _write_json(path, obj):
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def _first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=REPO)
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        return None


def host_info():
    """Commit, QEMU version and host CPU, for the summary header."""
    commit = _first_line(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--", ".", ":!results"],
                           capture_output=True, text=True, cwd=REPO).stdout.strip() \
        if commit != "unknown" else ""
    qemu = _first_line([os.environ.get("PVHV_QEMU", "qemu-system-x86_64"), "--version"])
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    bochs = _first_line(["dpkg-query", "-W", "-f=Bochs ${Version} (Debian package)\n", "bochs"])
    return {"commit": commit + ("-dirty" if dirty else ""), "qemu": qemu or "unknown",
            "bochs": bochs or "unknown",
            "cpu": cpu, "cores": os.cpu_count() or 1,
            "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def _run_cmd(smp, args, log, timeout, deterministic, images, native=False, emu="qemu"):
    cmd = [sys.executable, str(PVHV_RUN), "--emu", emu, "--smp", str(smp), "--args", args,
           "--log", str(log), "--quiet", "--timeout", f"{timeout:g}"]
    cmd += ["--native"] if native else ["--hv", str(Path(images) / "hv.elf")]
    cmd += ["--guest", str(Path(images) / "guest.elf")]
    return cmd + (["--deterministic"] if deterministic else [])


def snapshot_images(out, build):
    """Copy hv.elf and guest.elf from `build` into the results folder: every
    run of the matrix, resumed ones too, boots the same images even if the
    tree is rebuilt meanwhile."""
    images = Path(out) / "images"
    images.mkdir(parents=True, exist_ok=True)
    for name in IMAGES:
        src = Path(build) / name
        if not src.is_file():
            raise bench_matrix.MatrixError(f"{src} not found: build first (make all)")
        tmp = images / f".{name}.tmp"
        shutil.copyfile(src, tmp)
        os.replace(tmp, images / name)
    return images


def image_digest(images):
    """A short sha256 over hv.elf and guest.elf: which build the numbers are of."""
    h = hashlib.sha256()
    for name in IMAGES:
        h.update((Path(images) / name).read_bytes())
    return h.hexdigest()[:12]


def probe_defaults(smp, deterministic, images, emu="qemu"):
    """Boot the hypervisor once with nothing but a tiny VM and read its
    effective configuration: the default of every key it knows. None when
    the probe fails (the matrix then falls back to the option table, tools/pvhv_options.py)."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"pvhv-bench-probe-{os.getpid()}.log"
    try:
        subprocess.run(_run_cmd(smp, PROBE_ARGS, log, 60, deterministic, images, emu=emu),
                       capture_output=True, timeout=90, stdin=subprocess.DEVNULL)
        run = pvhv_log.first(pvhv_log.parse_file(log), "run") or {}
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        log.unlink(missing_ok=True)
    config = run.get("config")
    if not isinstance(config, dict):
        return None
    return {k: str(v) for k, v in config.items() if not isinstance(v, (dict, list))}


def log_path(out, run):
    return Path(out) / "logs" / f"{run.id}.log"


def finished(out, run):
    """A run is finished when its final log holds an `end` record."""
    path = log_path(out, run)
    return path.is_file() and pvhv_log.last(pvhv_log.parse_file(path), "end") is not None


class Runner:
    """Runs the unfinished runs of a matrix, `jobs` at a time."""

    def __init__(self, out, matrix, defaults, jobs, deterministic, stream=sys.stderr):
        self.out, self.matrix, self.defaults = Path(out), matrix, defaults
        self.images = self.out / "images"
        self.jobs, self.deterministic, self.stream = jobs, deterministic, stream
        self.procs, self.lock, self.stopping = set(), threading.Lock(), False
        self.done = self.failed = self.unsupported = 0

    def one(self, run):
        """Boot one run; write its log and meta atomically; return its row."""
        final = log_path(self.out, run)
        part = final.with_name(f".{final.name}.part")
        args = bench_matrix.cmdline(run, self.matrix.pcpus, self.defaults)
        cmd = _run_cmd(self.matrix.pcpus, args, part, run.timeout, self.deterministic,
                       self.images, native=run.cell.k == bench_matrix.NATIVE_LEVEL,
                       emu=self.matrix.emu)
        started = time.monotonic()
        with self.lock:
            if self.stopping:
                return None
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True, start_new_session=True)
            self.procs.add(proc)
        _, err = proc.communicate()
        with self.lock:
            self.procs.discard(proc)
        if self.stopping:
            part.unlink(missing_ok=True)
            return None
        lines = err.strip().splitlines()
        meta = {"cmdline": args, "smp": self.matrix.pcpus, "rc": proc.returncode,
                "reason": lines[-1] if lines else "", "wall_s": round(time.monotonic() - started, 3),
                "deterministic": self.deterministic, "timeout": run.timeout,
                "emu": self.matrix.emu}
        _write_json(final.with_suffix(".json"), meta)
        if part.exists():
            os.replace(part, final)
        else:
            final.write_text(err, encoding="utf-8")
        return row_of(self.out, self.matrix, run)

    def progress(self, total, skipped, start, remaining, final=False):
        elapsed = time.monotonic() - start
        ran = self.done - skipped
        left = f", ~{_hms(elapsed / ran * remaining)} left" if ran and remaining else ""
        line = (f"bench: {self.done}/{total} runs ({skipped} already done), "
                f"{self.failed} failed, {self.unsupported} unsupported, "
                f"{_hms(elapsed)} elapsed{left}")
        if self.stream.isatty():
            self.stream.write("\r\033[K" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def count(self, row):
        if row is not None:
            self.failed += row["status"] == "fail"
            self.unsupported += row["status"] == "unsupported"

    def run_all(self, runs):
        todo = [r for r in runs if not finished(self.out, r)]
        pending = {r.id for r in todo}
        skipped = len(runs) - len(todo)
        self.done = skipped
        start = time.monotonic()
        for r in runs:
            if r.id not in pending:
                self.count(row_of(self.out, self.matrix, r))
        self.progress(len(runs), skipped, start, len(todo), final=not todo)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs)
        futures = [pool.submit(self.one, r) for r in todo]
        try:
            for fut in concurrent.futures.as_completed(futures):
                self.count(fut.result())
                self.done += 1
                self.progress(len(runs), skipped, start, len(runs) - self.done,
                              final=self.done == len(runs))
        except KeyboardInterrupt:
            self.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def stop(self):
        """Ctrl-C: let each pvhv_run kill its QEMU (they run in their own
        sessions, so only we signal them), and start nothing new."""
        with self.lock:
            self.stopping = True
            procs = list(self.procs)
        for p in procs:
            try:
                p.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass


def _interrupt(signum, frame):
    """SIGTERM stops a matrix the way Ctrl-C does: runs killed, report kept."""
    raise KeyboardInterrupt


def _hms(s):
    s = int(s)
    return f"{s // 3600}h{s // 60 % 60:02d}m{s % 60:02d}s" if s >= 3600 else \
        f"{s // 60}m{s % 60:02d}s"


def row_of(out, matrix, run):
    path = log_path(out, run)
    meta_path = path.with_suffix(".json")
    records = pvhv_log.parse_file(path) if path.is_file() else pvhv_log.Parsed()
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else None
    if not path.is_file():
        meta = {"reason": "not run yet", "rc": None}
    row = bench_report.row(run, matrix.pcpus, records, meta, f"logs/{path.name}")
    if not path.is_file():
        row["status"] = "not run"
    return row


def _mode(matrix, info):
    if matrix.emu == "bochs":
        import pvhv_run
        return (f"Bochs, {pvhv_run.BOCHS_CPU_MODEL}, VMX; instruction-timed "
                f"(ips={pvhv_run.BOCHS_IPS}, clock sync=none): deterministic, the measuring platform")
    if info.get("deterministic"):
        return "QEMU TCG, deterministic (single-threaded, -icount shift=5); not faithful (DESIGN.md §1)"
    return "QEMU TCG, multi-threaded (timings vary run to run); not faithful (DESIGN.md §1)"


def header(out, matrix, info):
    sessions = info.get("sessions", [])
    first = sessions[0] if sessions else {}
    lines = [f"- commit: `{first.get('commit', '?')}` (the tree when the matrix started)",
             f"- images: `{info.get('images', {}).get('from', '?')}` copied to images/ "
             f"(sha256 {info.get('images', {}).get('sha256', '?')}); every run boots these",
             (f"- emulator: {first.get('bochs', '?')}" if matrix.emu == "bochs"
              else f"- QEMU: {first.get('qemu', '?')}"),
             f"- host CPU: {first.get('cpu', '?')}, {first.get('cores', '?')} cores",
             f"- started: {first.get('started', '?')} (UTC), parallel jobs: {info.get('jobs')}",
             f"- mode: {_mode(matrix, info)}",
             f"- pCPUs and vCPUs per VM: {matrix.pcpus}; k-x over-commit = k VMs"]
    for s in sessions[1:]:
        lines.append(f"- resumed {s.get('started')}: commit `{s.get('commit')}`, "
                     f"QEMU {s.get('qemu')}, {s.get('cores')} cores (same images as the start)")
    defaults = info.get("defaults")
    if defaults:
        keys = " ".join(f"{k}={defaults[k]}" for k in bench_report.DIM_ORDER if k in defaults)
        lines.append(f"- hypervisor defaults (probe; left off command lines): `{keys}`")
    lines += ["", "Matrix:", "", "```ini", matrix.text.rstrip(), "```"]
    return lines


def report(out):
    """Rebuild runs.csv, summary.md and the plots from the logs in `out`."""
    import bench_plot  # matplotlib is slow to import; only here
    out = Path(out)
    info = json.loads((out / "bench.json").read_text())
    matrix = bench_matrix.parse((out / "matrix").read_text(), info["name"])
    rows = [row_of(out, matrix, r) for r in matrix.runs()]
    bench_report.write_csv(rows, out / "runs.csv")
    plots = {}
    for exp in matrix.experiments:
        exp_rows = [r for r in rows if r["experiment"] == exp.name]
        title = f"{matrix.name}: {exp.name}, {matrix.pcpus} pCPUs"
        paths = bench_plot.plot(exp_rows, exp.name, title, str(out / f"plot-{exp.name}"))
        plots[exp.name] = [Path(p).name for p in paths if p.endswith(".png")]
    text = bench_report.summary(rows, header(out, matrix, info), plots)
    bench_report.write_text(out / "summary.md", text + "\n")
    return rows


def _load_saved(out):
    out = Path(out)
    if not (out / "bench.json").is_file():
        raise bench_matrix.MatrixError(f"{out}: no bench.json there")
    info = json.loads((out / "bench.json").read_text())
    return info, bench_matrix.parse((out / "matrix").read_text(), info["name"])


def run_one(out, run_id):
    """--one: boot one run of a set-up results folder (a job-list line)."""
    info, matrix = _load_saved(out)
    runs = {r.id: r for r in matrix.runs()}
    if run_id not in runs:
        raise bench_matrix.MatrixError(f"{out}: no run {run_id!r} in its matrix")
    runner = Runner(out, matrix, info.get("defaults"), 1, info["deterministic"])
    row = runner.one(runs[run_id])
    print(f"bench: {run_id}: {row['status'] if row else 'stopped'}", file=sys.stderr)
    return 0 if row is not None and row["status"] == "pass" else 1


def write_job_list(path, out, runs):
    """One shell line per unfinished run for GNU parallel (run_one each)."""
    todo = [r for r in runs if not finished(out, r)]
    lines = [f"cd {shlex.quote(str(REPO))} && {shlex.quote(sys.executable)} tools/bench.py "
             f"--one {shlex.quote(str(Path(out).resolve()))} {shlex.quote(r.id)}" for r in todo]
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(todo)


def _parser():
    ap = argparse.ArgumentParser(description="Run a pvhv benchmark matrix and report it.")
    ap.add_argument("matrix", nargs="?", help="matrix file (tools/bench/*.matrix)")
    ap.add_argument("--out", metavar="DIR", help="results folder (default results/<matrix>-<UTC time>)")
    ap.add_argument("--resume", metavar="DIR", help="finish the matrix of an earlier results folder")
    ap.add_argument("--report", metavar="DIR", help="only rebuild the reports of a results folder")
    ap.add_argument("--jobs", type=int, help="runs side by side (default max(1, cores // pCPUs); "
                    "with --deterministic, cores)")
    ap.add_argument("--deterministic", action="store_true",
                    help="single-threaded TCG with a fixed -icount shift: repeatable, slower")
    ap.add_argument("--images", metavar="DIR", default=str(REPO / "build"),
                    help="where hv.elf and guest.elf are (default build/); copied into the results")
    ap.add_argument("--dry-run", action="store_true", help="print each run's command line and exit")
    ap.add_argument("--job-list", metavar="FILE",
                    help="set up the results folder and write its unfinished runs as GNU "
                         "parallel jobs (one shell line each) instead of running them")
    ap.add_argument("--one", nargs=2, metavar=("DIR", "RUN"),
                    help="boot one run of a results folder's matrix (what a job-list line does)")
    return ap


def main(argv=None):
    opts = _parser().parse_args(argv)
    try:
        if opts.one:
            return run_one(*opts.one)
        if opts.report:
            report(opts.report)
            print(f"bench: report in {Path(opts.report) / 'summary.md'}", file=sys.stderr)
            return 0
        out = Path(opts.resume or opts.out or "") if (opts.resume or opts.out) else None
        saved = out is not None and (out / "bench.json").is_file()
        if opts.resume and not saved:
            raise bench_matrix.MatrixError(f"--resume {out}: no bench.json there")
        if saved:
            info = json.loads((out / "bench.json").read_text())
            text = (out / "matrix").read_text()
            if opts.matrix and Path(opts.matrix).read_text() != text:
                raise bench_matrix.MatrixError(f"{out} holds a different matrix; use a new --out")
            if opts.deterministic and not info["deterministic"]:
                raise bench_matrix.MatrixError(f"{out} was not run with --deterministic")
            matrix = bench_matrix.parse(text, info["name"])
        else:
            if not opts.matrix:
                raise bench_matrix.MatrixError("give a matrix file, --resume DIR or --report DIR")
            matrix = bench_matrix.load(opts.matrix)
            if out is None:
                stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                out = REPO / "results" / f"{matrix.name}-{stamp}"
            info = {"name": matrix.name, "deterministic": opts.deterministic, "sessions": []}
    except (bench_matrix.MatrixError, OSError, ValueError, KeyError) as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 2
    runs = matrix.runs()
    # A multi-threaded TCG QEMU keeps P host cores busy; a deterministic one
    # runs every pCPU on one thread, and its numbers do not depend on load.
    cores = os.cpu_count() or 1
    if matrix.emu == "bochs" and info["deterministic"]:
        print("bench: error: --deterministic is for QEMU; Bochs runs are deterministic anyway",
              file=sys.stderr)
        return 2
    # Bochs runs every emulated CPU on one host thread: one run per core.
    jobs = opts.jobs or (cores if info["deterministic"] or matrix.emu == "bochs"
                         else max(1, cores // matrix.pcpus))
    if opts.dry_run:
        for r in runs:
            native = " --native" if r.cell.k == bench_matrix.NATIVE_LEVEL else ""
            print(f"{r.id}:{native} --smp {matrix.pcpus} --args '"
                  f"{bench_matrix.cmdline(r, matrix.pcpus, info.get('defaults'))}'")
        return 0
    (out / "logs").mkdir(parents=True, exist_ok=True)
    if not saved:
        try:
            images = snapshot_images(out, opts.images)
        except (bench_matrix.MatrixError, OSError) as e:
            print(f"bench: error: {e}", file=sys.stderr)
            return 2
        (out / "matrix").write_text(matrix.text, encoding="utf-8")
        info["defaults"] = probe_defaults(matrix.pcpus, opts.deterministic, images, matrix.emu)
        info["images"] = {"from": str(Path(opts.images).resolve()), "sha256": image_digest(images)}
    info["jobs"] = "GNU parallel" if opts.job_list else jobs
    info["sessions"].append(host_info())
    _write_json(out / "bench.json", info)
    if opts.job_list:
        n = write_job_list(opts.job_list, out, runs)
        print(f"bench: {n} jobs in {opts.job_list}; run them with\n"
              f"  parallel --jobs {jobs} --joblog {out}/parallel.log < {opts.job_list}\n"
              f"(or --sshloginfile FILE), then: {sys.argv[0]} --report {out}", file=sys.stderr)
        return 0
    print(f"bench: {matrix.name}: {len(runs)} runs, {jobs} at a time, results in {out}",
          file=sys.stderr)
    runner = Runner(out, matrix, info.get("defaults"), jobs, info["deterministic"])
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        runner.run_all(runs)
    except KeyboardInterrupt:
        print(f"\nbench: interrupted; finish with: {sys.argv[0]} --resume {out}", file=sys.stderr)
        report(out)
        return 130
    rows = report(out)
    print(f"bench: {out / 'summary.md'}", file=sys.stderr)
    bad = sum(r["status"] == "fail" for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
