"""Shared machinery for the system tests: boot pvhv under QEMU through
tools/pvhv_run.run() (the same path as `make run`) and judge the run by its
@pvhv records and exit status only, never by free text (DESIGN.md §9-§11).

The Makefile builds build/hv.elf, build/guest.elf and build/pvhv.iso before
it runs pytest; a missing image makes the test FAIL with a clear message
(a skipped system test would hide a broken build).
"""

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import pvhv_log  # noqa: E402
import pvhv_run  # noqa: E402

TIMEOUT_S = 240         # per boot; QEMU TCG is slow but no case needs more

# QEMU boots run single-threaded TCG unless PVHV_TCG=multi: QEMU 7.2's
# multi-threaded TCG has a rare triple-fault race on world switches (README
# "Tests → Known defects") that would make the suite fail by chance.
# `make test-mttcg` runs the QEMU tests multi-threaded.
QEMU_TCG = os.environ.get("PVHV_TCG", "single")


def with_tcg(emu, kw):
    """kw for pvhv_run.run, with the suite's TCG threading for QEMU boots."""
    if emu == "qemu" and not kw.get("deterministic"):
        kw.setdefault("tcg", QEMU_TCG)
    return kw
LOG_TAIL_LINES = 40     # serial lines shown when an assertion fails

MARKERS = {
    "boot": "a valid configuration boots, every VM finishes, the run passes",
    "bad_input": "hostile or impossible input is refused with an error record naming the key",
    "crash": "a misbehaving guest is killed alone; the run reports it and fails",
    "lock": "lockstress: mutual exclusion holds and pv kick accounting adds up",
    "sched": "over-commit scheduling: gang, PLE, steal time, boost, hostile values",
}


def pytest_configure(config):
    for name, doc in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {doc}")


class Boot:
    """One finished run: the pvhv_run.Result plus record helpers."""

    def __init__(self, result, log_path):
        self.result = result
        self.log_path = log_path
        self.records = result.records

    def __getattr__(self, name):            # passed, exit_code, qemu_status, ...
        return getattr(self.result, name)

    def kind(self, kind):
        return pvhv_log.of_kind(self.records, kind)

    def one(self, kind):
        found = self.kind(kind)
        assert len(found) == 1, f"expected one {kind} record, got {len(found)}\n{self.context()}"
        return found[0]

    def index(self, kind, keys):
        return pvhv_log.by_key(self.records, kind, keys)

    def vms(self):
        """{vm id: vm record}."""
        return {k[0]: r for k, r in self.index("vm", ("vm",)).items()}

    def context(self):
        """What an assertion message shows: why, and the end of the log."""
        tail = "\n".join(self.result.log_text.splitlines()[-LOG_TAIL_LINES:])
        return (f"run: {self.result.reason}; QEMU status {self.result.qemu_status}; "
                f"full log {self.log_path}\ncommand: {' '.join(map(str, self.result.cmd))}\n"
                f"--- last {LOG_TAIL_LINES} serial lines ---\n{tail}")

    def assert_framed(self):
        """Every run, good or bad: `run` first, `end` last, nothing garbled."""
        assert self.records, f"no @pvhv records at all\n{self.context()}"
        assert self.records[0]["kind"] == "run", f"first record is not run\n{self.context()}"
        assert self.records[-1]["kind"] == "end", f"last record is not end\n{self.context()}"
        assert self.one("end") is self.records[-1]
        assert not self.records.malformed, f"malformed @pvhv lines: {self.records.malformed[:3]}\n{self.context()}"

    def assert_passed(self, smp, vms, vcpus):
        """A good run of `vms` x `vcpus` on `smp` pCPUs, fully reported."""
        assert not self.timed_out, self.context()
        self.assert_framed()
        assert self.passed and self.exit_code == 0, self.context()
        assert self.qemu_status == pvhv_run.STATUS_PASS, self.context()
        assert self.kind("error") == [], self.context()
        run = self.records[0]
        assert run["pcpus"] == smp, self.context()
        assert run["config"]["vms"] == vms and run["config"]["vcpus"] == vcpus, self.context()
        vm_recs = self.vms()
        assert sorted(vm_recs) == list(range(vms)), self.context()
        for vm, rec in vm_recs.items():
            assert rec["state"] == "done", f"vm {vm}: {rec}\n{self.context()}"
            assert rec["vcpus"] == vcpus, self.context()
        end = self.records[-1]
        assert end["status"] == "pass", self.context()
        assert end["vms_done"] == vms and end["vms_killed"] == 0, self.context()
        every_vcpu = {(vm, v) for vm in range(vms) for v in range(vcpus)}
        assert set(self.index("hv_vcpu", ("vm", "vcpu"))) == every_vcpu, self.context()
        assert set(self.index("pcpu", ("pcpu",))) == {(p,) for p in range(smp)}, self.context()

    def assert_failed_cleanly(self):
        """A refused or failed run that still ended through the fail code."""
        assert not self.timed_out, self.context()
        self.assert_framed()
        assert not self.passed and self.exit_code != 0, self.context()
        assert self.qemu_status == pvhv_run.STATUS_FAIL, self.context()
        assert self.records[-1]["status"] == "fail", self.context()


def _need(path, what):
    if not Path(path).is_file():
        pytest.fail(f"{what} {path} is missing: build it first (`make`; `make test` does it "
                    f"before pytest)", pytrace=False)


@pytest.fixture
def boot(tmp_path):
    """boot(smp=N, args='k=v ...', iso=False, no_guest=False, cpu=...) -> Boot.

    Called from the test body, so a missing image is a test failure, not a
    setup error. The serial log is kept in the test's tmp_path.
    """
    def _boot(smp, args="", iso=False, timeout=TIMEOUT_S, **kw):
        if iso:
            _need(pvhv_run.DEFAULT_ISO, "GRUB ISO")
            kw["iso"] = pvhv_run.DEFAULT_ISO
        else:
            _need(pvhv_run.DEFAULT_HV, "hypervisor image")
            if not kw.get("no_guest"):
                _need(pvhv_run.DEFAULT_GUEST, "guest image")
        log_path = tmp_path / "serial.log"
        result = pvhv_run.run(smp=smp, args=args, timeout=timeout, log=str(log_path),
                              quiet=True, **with_tcg(kw.get("emu", "qemu"), kw))
        return Boot(result, log_path)
    return _boot


# --- Backend-parametrised boots (issue 6): the same configuration under
# QEMU TCG (AMD SVM) and Bochs (Intel VMX). Bochs tests carry the `bochs`
# marker: `-m bochs` selects them, `-m "not bochs"` leaves them out.

MARKERS["bochs"] = "runs under Bochs (VMX or SVM backend); slow, select with -m bochs"

BOCHS_TIMEOUT_S = 150   # per Bochs boot (BIOS + GRUB alone take ~15 s)

# Three independent implementations of the hardware (issue 14): AMD SVM
# under QEMU TCG, Intel VMX under Bochs, AMD SVM under Bochs (BOCHS_AMD_MODEL:
# NRIP save, pause filter, flush-by-ASID; PVHV_BOCHS_AMD_MODEL=zambezi or
# trinity_apu runs the same tests there). A parameter is "backend" or
# "backend@bochs_model"; backend_name() gives the backend.
BOCHS_AMD_MODEL = os.environ.get("PVHV_BOCHS_AMD_MODEL", "ryzen")
BACKENDS = [
    pytest.param("svm", id="svm-qemu"),
    pytest.param("vmx", id="vmx-bochs", marks=pytest.mark.bochs),
    pytest.param(f"svm@{BOCHS_AMD_MODEL}", id="svm-bochs", marks=pytest.mark.bochs),
]


def backend_name(param):
    return param.split("@")[0]


def under_bochs(param):
    return param == "vmx" or "@" in param


class BackendBoot(Boot):
    """A Boot that knows its backend. Bochs' exit status means nothing
    (DESIGN.md §1), so under Bochs the end record stands in for QEMU's
    isa-debug-exit status in the shared assertions."""

    def __init__(self, result, log_path, backend):
        super().__init__(result, log_path)
        self.backend = backend

    @property
    def qemu_status(self):
        if not under_bochs(self.backend):
            return self.result.qemu_status
        end = pvhv_log.last(self.records, "end")
        if end is None or self.result.timed_out:
            return None
        return pvhv_run.STATUS_PASS if end.get("status") == "pass" else pvhv_run.STATUS_FAIL


@pytest.fixture
def backend_boot(tmp_path):
    """backend_boot(backend, smp=N, args='k=v ...') -> BackendBoot.

    svm boots under QEMU TCG, vmx under Bochs' default Intel model,
    svm@<model> under that Bochs model; `backend=` is forced on the
    command line (unless args set it) so a run never silently picks the
    other one."""
    def _boot(param, smp, args="", timeout=None, **kw):
        backend = backend_name(param)
        emu = "bochs" if under_bochs(param) else "qemu"
        if "@" in param:
            kw["cpu"] = param.split("@")[1]
        _need(pvhv_run.DEFAULT_HV, "hypervisor image")
        _need(pvhv_run.DEFAULT_GUEST, "guest image")
        log_path = tmp_path / "serial.log"
        if timeout is None:
            timeout = BOCHS_TIMEOUT_S if emu == "bochs" else TIMEOUT_S
        if "backend=" not in args:
            args = f"backend={backend} {args}".strip()
        result = pvhv_run.run(smp=smp, args=args, timeout=timeout,
                              log=str(log_path), quiet=True, emu=emu, **with_tcg(emu, kw))
        return BackendBoot(result, log_path, param)
    return _boot


# --- One boot, several assertions (issue 18: keep make test's emulator time
# down). A module-scoped fixture calls boot_once(); each test then asserts
# one property of the same run.

def boot_once(tmp_path_factory, name, smp, args="", backend="svm", timeout=None, **kw):
    """Boot once outside any test (for module-scoped fixtures) -> BackendBoot.
    Images missing is a failure of every test that uses the fixture."""
    emu = "bochs" if backend == "vmx" else "qemu"
    _need(pvhv_run.DEFAULT_HV, "hypervisor image")
    if not kw.get("no_guest"):
        _need(pvhv_run.DEFAULT_GUEST, "guest image")
    if timeout is None:
        timeout = BOCHS_TIMEOUT_S if emu == "bochs" else TIMEOUT_S
    if "backend=" not in args:
        args = f"backend={backend} {args}".strip()
    log_path = tmp_path_factory.mktemp(name) / "serial.log"
    result = pvhv_run.run(smp=smp, args=args, timeout=timeout, log=str(log_path),
                          quiet=True, emu=emu, **with_tcg(emu, kw))
    return BackendBoot(result, log_path, backend)


@pytest.fixture(scope="module")
def shared_boot(tmp_path_factory):
    """shared_boot(args, smp=2, backend="svm") -> BackendBoot, booted once
    per module for each distinct (sorted) word list: tests that read the
    same configuration share its run."""
    runs = {}

    def _boot(args, smp=2, backend="svm", **kw):
        key = (" ".join(sorted(args.split())), smp, backend, tuple(sorted(kw.items())))
        if key not in runs:
            runs[key] = boot_once(tmp_path_factory, "shared", smp, key[0], backend, **kw)
        return runs[key]
    return _boot
