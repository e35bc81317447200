#!/usr/bin/python3
"""The benchmark matrix: its file format, its cells and its runs.

A matrix file is INI (Python configparser; `#` and `;` start comments, also
after a value). One `[bench]` section holds the settings shared by every
experiment; every other section is one experiment whose cells are the
cartesian product of its value lists (values separated by spaces or commas):

    [bench]
    name     = default       # optional; default: the file name without .matrix
    pcpus    = 2             # P: QEMU -smp, and vCPUs per VM (vcpus=P)
    repeats  = 3             # runs per cell; repeat r boots with seed + r
    seed     = 1             # base seed (default: the option table's seed=)
    duration = 2000          # guest ms per run (default: the option table's duration=)
    timeout  = auto          # seconds before a run is killed; auto = 120 + 10*k*duration_s
    emu      = bochs         # bochs (measuring platform) or qemu (TCG; the default)
    args     = cs=200        # extra fixed hypervisor words, appended to every run

    [locks]                  # one experiment
    task       = lockstress
    overcommit = 1 2 3       # k: k VMs of P vCPUs each on P pCPUs (k-x over-commit)
                             # `native`: the guest alone on the P CPUs, no pvhv
    lock       = ticket pvticket
    sched      = rr gang
    ple        = off on

In an experiment, `overcommit` is required; `repeats`, `seed`, `duration`,
`timeout` override the [bench] value and `args` adds words; every other key
is a hypervisor key whose values become a dimension. `vms` and `vcpus` come
from `overcommit` and `pcpus` and may not be set.

A cell boots `vms=k vcpus=P <dimensions> duration=D seed=S <args>` with
`--smp P`; a `native` cell (k = 0) boots `vcpus=P <dimensions> ...` with
`--native` (the same guest words; hypervisor-only keys are ignored by the
guest). A dimension value equal to the hypervisor's default is left off
the command line (the defaults come from a probe run, see bench.py), so that
a baseline such as `ple=off` still runs on a hypervisor that has no `ple` key.
"""

import configparser
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pvhv_options

SETTINGS = ("pcpus", "repeats", "seed", "duration", "timeout", "args", "emu")
# Where a matrix runs: Bochs is the measuring platform (instruction-timed,
# deterministic); QEMU TCG is a fast functional sweep, not faithful
# (DESIGN.md §1). Default qemu, for matrix files written before Bochs.
EMULATORS = ("bochs", "qemu")
DERIVED = ("vms", "vcpus")
NATIVE_LEVEL = 0                # overcommit `native`: no hypervisor


def level_name(k):
    """How an over-commit level is written in ids, tables and plots."""
    return "native" if k == NATIVE_LEVEL else f"{k}x"
TOKEN = re.compile(r"^[A-Za-z0-9_.:+-]+$")
KEY = re.compile(r"^[a-z][a-z0-9_]*$")

# How a hypervisor that predates a key behaves: before `ple` it had no
# PLE, before `sched` it scheduled round-robin, before `tlb` guests flushed
# natively. History, not defaults: the defaults of the keys a hypervisor
# knows come from its probe's `run` record, or else from the option table
# (tools/pvhv_options.py reads hv/cfg.c).
WITHOUT_KEY = {"sched": "rr", "ple": "off", "tlb": "native"}


class MatrixError(Exception):
    """The matrix file is malformed; the message names section and key."""


@dataclass
class Experiment:
    name: str
    overcommit: list
    dims: dict            # key -> [values], in file order
    repeats: int
    seed: int
    duration: int
    timeout: "float | None"   # None: auto
    args: list            # extra "key=value" words


@dataclass
class Cell:
    experiment: str
    k: int
    dims: dict            # key -> value for this cell
    varying: tuple        # dimension keys with more than one value
    id: str
    label: str            # configuration name without the over-commit level

    @property
    def config(self):
        """(experiment, label): the configuration across over-commit levels."""
        return (self.experiment, self.label)


@dataclass
class Run:
    cell: Cell
    rep: int
    seed: int
    duration: int
    timeout: float
    args: list = field(default_factory=list)

    @property
    def id(self):
        return f"{self.cell.id}-r{self.rep}"


@dataclass
class Matrix:
    name: str
    text: str
    pcpus: int
    experiments: list
    emu: str = "qemu"

    def cells(self):
        out = []
        for exp in self.experiments:
            keys = list(exp.dims)
            varying = tuple(k for k in keys if len(exp.dims[k]) > 1)
            for k in exp.overcommit:
                for values in itertools.product(*(exp.dims[key] for key in keys)):
                    dims = dict(zip(keys, values))
                    parts = [exp.name, level_name(k)] + [f"{key}_{dims[key]}" for key in varying]
                    out.append(Cell(exp.name, k, dims, varying, "-".join(parts),
                                    label(dims, varying)))
        return out

    def runs(self):
        exps = {e.name: e for e in self.experiments}
        out = []
        for cell in self.cells():
            exp = exps[cell.experiment]
            timeout = exp.timeout
            if timeout is None:
                timeout = 120 + 10 * max(cell.k, 1) * exp.duration / 1000
            for rep in range(exp.repeats):
                out.append(Run(cell, rep, exp.seed + rep, exp.duration, timeout, exp.args))
        return out


def label(dims, varying):
    """A short configuration name in the paper's style: the lock (or TLB
    flush) kind, then `gang` and `PLE` when they are on; other varying keys
    as key=value when not at their default."""
    parts = []
    for key in ("lock", "tlb"):
        if key in dims and (key in varying or not varying):
            parts.append(dims[key])
    for key, value in dims.items():
        if key in ("lock", "tlb") or key not in varying:
            continue
        if key == "sched":
            if value != WITHOUT_KEY["sched"]:
                parts.append(value)
        elif value in ("on", "off"):
            if value == "on":
                parts.append(key.upper())
        elif value != pvhv_options.defaults().get(key):
            parts.append(f"{key}={value}")
    return "+".join(parts) or "default"


def _words(value):
    return [w for w in re.split(r"[\s,]+", value.strip()) if w]


def _int(section, key, value, minimum):
    try:
        n = int(value)
    except ValueError:
        raise MatrixError(f"[{section}] {key} = {value!r}: not an integer") from None
    if n < minimum:
        raise MatrixError(f"[{section}] {key} = {n}: must be at least {minimum}")
    return n


def _args(section, value):
    words = _words(value)
    for w in words:
        key, eq, val = w.partition("=")
        if not eq or not KEY.match(key) or not TOKEN.match(val):
            raise MatrixError(f"[{section}] args: {w!r} is not a key=value word")
        if key in DERIVED or key in ("duration", "seed"):
            raise MatrixError(f"[{section}] args: {key} is set by the matrix, not by args")
    return words


def parse(text, name="matrix"):
    """Parse matrix text into a Matrix; raises MatrixError."""
    cp = configparser.ConfigParser(inline_comment_prefixes=("#", ";"),
                                   interpolation=None, default_section="\0none")
    cp.optionxform = str
    try:
        cp.read_string(text)
    except configparser.Error as e:
        raise MatrixError(f"cannot parse: {e}") from None
    if "bench" not in cp:
        raise MatrixError("no [bench] section")
    base = cp["bench"]
    unknown = set(base) - set(SETTINGS) - {"name"}
    if unknown:
        raise MatrixError(f"[bench] unknown setting(s): {' '.join(sorted(unknown))}")
    name = base.get("name", name).strip()
    if not TOKEN.match(name):
        raise MatrixError(f"[bench] name = {name!r}: use letters, digits, - _ .")
    pcpus = _int("bench", "pcpus", base.get("pcpus", "2"), 1)
    common = dict(repeats=base.get("repeats", "3"),
                  seed=base.get("seed", pvhv_options.default("seed")),
                  duration=base.get("duration", pvhv_options.default("duration")),
                  timeout=base.get("timeout", "auto"))
    base_args = _args("bench", base.get("args", ""))
    experiments = []
    for sname in cp.sections():
        if sname == "bench":
            continue
        if not re.match(r"^[A-Za-z0-9_]+$", sname):
            raise MatrixError(f"[{sname}]: experiment names use letters, digits and _")
        sec = cp[sname]
        if "overcommit" not in sec:
            raise MatrixError(f"[{sname}] needs overcommit = (e.g. 1 2 3)")
        over = [NATIVE_LEVEL if w == "native" else _int(sname, "overcommit", w, 1)
                for w in _words(sec["overcommit"])]
        if not over or len(set(over)) != len(over):
            raise MatrixError(f"[{sname}] overcommit: list distinct levels, e.g. 1 2 3")
        s = dict(common)
        s.update({k: sec[k] for k in ("repeats", "seed", "duration", "timeout") if k in sec})
        timeout = None
        if s["timeout"].strip() != "auto":
            timeout = float(_int(sname, "timeout", s["timeout"], 1))
        dims = {}
        for key in sec:
            if key in SETTINGS or key == "overcommit":
                continue
            if key in DERIVED:
                raise MatrixError(f"[{sname}] {key}: set by overcommit and pcpus, not directly")
            if not KEY.match(key):
                raise MatrixError(f"[{sname}] {key!r}: not a hypervisor key")
            values = _words(sec[key])
            if not values or len(set(values)) != len(values):
                raise MatrixError(f"[{sname}] {key}: give one or more distinct values")
            for v in values:
                if not TOKEN.match(v):
                    raise MatrixError(f"[{sname}] {key} = {v!r}: not a plain value")
            dims[key] = values
        args = base_args + _args(sname, sec.get("args", ""))
        clash = {w.split("=")[0] for w in args} & set(dims)
        if clash:
            raise MatrixError(f"[{sname}] {' '.join(sorted(clash))}: both a dimension and in args")
        experiments.append(Experiment(
            sname, over, dims, _int(sname, "repeats", s["repeats"], 1),
            _int(sname, "seed", s["seed"], 0), _int(sname, "duration", s["duration"], 1),
            timeout, args))
    if not experiments:
        raise MatrixError("no experiment section (e.g. [locks] with overcommit = 1 2 3)")
    emu = base.get("emu", "qemu").strip()
    if emu not in EMULATORS:
        raise MatrixError(f"[bench] emu = {emu!r}: allowed {' '.join(EMULATORS)}")
    return Matrix(name, text, pcpus, experiments, emu)


def load(path):
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise MatrixError(f"cannot read {path}: {e.strerror}") from None
    return parse(text, name=path.name.removesuffix(".matrix"))


def cmdline(run, pcpus, defaults):
    """The hypervisor command line of one run. `defaults` maps a key to the
    hypervisor's default value (from the probe; None: the option table's); a
    dimension value equal to it, or, for a key the hypervisor does not know,
    equal to how it behaved without the key (WITHOUT_KEY, else the table's
    default), is left off."""
    words = ([] if run.cell.k == NATIVE_LEVEL else [f"vms={run.cell.k}"]) + [f"vcpus={pcpus}"]
    table = pvhv_options.defaults()
    known = table if defaults is None else defaults
    for key, value in run.cell.dims.items():
        if value == known.get(key, WITHOUT_KEY.get(key, table.get(key))):
            continue
        words.append(f"{key}={value}")
    words += [f"duration={run.duration}", f"seed={run.seed}"] + list(run.args)
    return " ".join(words)
