"""Issue 16: the same guest.elf booted alone on the emulated machine, no
pvhv (`pvhv_run --native`). It must find every CPU (ACPI MADT), start them
(INIT-SIPI-SIPI), pass smp, lockstress and tlbstress with local-APIC IPIs,
frame its records like pvhv (`run` first with "backend":"none", `vm`, `end`
last) and use no pv feature and no hypercall. One pvhv run shows the
hypercall counter is real (it counts > 0 there), and one impossible vcpus=
shows a native failure is framed and ends through the fail code."""

import pytest

import pvhv_log
import pvhv_run

BOCHS_TIMEOUT_S = 150   # BIOS + GRUB take ~15 s of it
TASKS = "task=smp,lockstress,tlbstress lock=pvticket tlb=pv duration=150"
TASKS_1CPU = "task=smp,lockstress lock=pvticket duration=150"   # tlbstress needs a reader


@pytest.fixture
def native_boot(boot):
    """(pvhv_run.Result, log path) of the guest booted alone."""
    def _boot(smp, args, emu="qemu"):
        kw = {"timeout": BOCHS_TIMEOUT_S} if emu == "bochs" else {}
        run = boot(smp=smp, args=args, emu=emu, native=True, **kw)
        return run.result, run.log_path
    return _boot


def context(res, log):
    tail = "\n".join(res.log_text.splitlines()[-30:])
    return f"{res.reason}; log {log}\n{tail}"


def check_native_pass(res, log, smp, emu):
    ctx = context(res, log)
    recs = res.records
    assert res.passed and res.exit_code == 0, ctx
    if emu == "qemu":
        assert res.qemu_status == pvhv_run.STATUS_PASS, ctx
    assert not recs.malformed, ctx
    assert recs[0]["kind"] == "run" and recs[-1]["kind"] == "end", ctx
    run = recs[0]
    assert run["backend"] == "none" and run["native"] is True, ctx
    assert run["pcpus"] == smp and run["config"]["vcpus"] == smp, ctx
    assert pvhv_log.of_kind(recs, "hv_vcpu") == [], ctx          # no hypervisor spoke
    (vm,) = pvhv_log.of_kind(recs, "vm")
    assert vm["state"] == "done" and vm["guest_status"] == 0 and vm["vcpus"] == smp, ctx
    assert recs[-1]["status"] == "pass", ctx

    (s,) = pvhv_log.of_kind(recs, "smp")
    assert s["vcpus_up"] == smp and s["ipi"] == "apic", ctx
    assert s["ipis_sent"] == s["ipis_acked"] == 2 * (smp - 1), ctx

    (lvm,) = pvhv_log.of_kind(recs, "lock_vm")
    assert lvm["lock"] == "pvticket" and lvm["slow_path_enabled"] is False, ctx
    assert lvm["violations"] == 0 and lvm["counter_mismatches"] == 0, ctx
    assert lvm["acquisitions"] > 0, ctx
    lv = pvhv_log.of_kind(recs, "lock_vcpu")
    assert len(lv) == smp, ctx
    for r in lv:
        assert r["slow_path"] == r["halts"] == r["kicks_sent"] == 0, ctx

    if smp > 1:
        (tvm,) = pvhv_log.of_kind(recs, "tlb_vm")
        assert tvm["tlb_asked"] == "pv" and tvm["tlb"] == "native", ctx   # pv fell back
        assert tvm["stale_reads"] == 0 and tvm["deferred_flushes"] == 0, ctx
        assert tvm["shootdowns"] > 0 and tvm["ipis_sent"] == tvm["shootdowns"] * (smp - 1), ctx
        flushed = sum(r["flush_irqs"] for r in pvhv_log.of_kind(recs, "tlb_vcpu"))
        assert flushed == tvm["ipis_sent"], ctx

    (g,) = pvhv_log.of_kind(recs, "guest")
    assert g["native"] is True and g["pv_features"] == 0, ctx
    assert g["hypercalls"] == 0 and g["hypercalls_refused"] == 0, ctx
    assert not (g["steal_time"] or g["pv_unhalt"] or g["pv_tlb_flush"]), ctx
    assert all(r["registered"] is False for r in pvhv_log.of_kind(recs, "steal")), ctx


@pytest.mark.boot
@pytest.mark.parametrize("smp", [1, 2, 4])
def test_native_qemu(native_boot, smp):
    res, log = native_boot(smp, TASKS if smp > 1 else TASKS_1CPU)
    check_native_pass(res, log, smp, "qemu")


@pytest.mark.boot
@pytest.mark.bochs
def test_native_bochs_2cpus(native_boot):
    res, log = native_boot(2, TASKS, emu="bochs")
    check_native_pass(res, log, 2, "bochs")


@pytest.mark.boot
def test_guest_counts_hypercalls_under_pvhv(boot):
    """The counter the native test reads as 0 does count: under pvhv the
    same guest reports its hypercalls and no native refusals."""
    run = boot(smp=2, args="vms=1 vcpus=2 task=smp mem=8M")
    run.assert_passed(smp=2, vms=1, vcpus=2)
    (g,) = run.kind("guest")
    assert g["native"] is False and g["pv_features"] != 0, run.context()
    assert g["hypercalls"] > 0 and g["hypercalls_refused"] == 0, run.context()
    assert run.one("smp")["ipi"] == "hypercall", run.context()


@pytest.mark.bad_input
def test_native_more_vcpus_than_cpus_fails_framed(native_boot):
    res, log = native_boot(2, "vcpus=3 task=smp")
    ctx = context(res, log)
    recs = res.records
    assert not res.passed and res.qemu_status == pvhv_run.STATUS_FAIL, ctx
    assert recs[0]["kind"] == "run" and recs[0]["config"] is None, ctx
    (vm,) = pvhv_log.of_kind(recs, "vm")
    assert vm["guest_status"] == 3, ctx                      # FAIL_CONFIG
    assert recs[-1]["kind"] == "end" and recs[-1]["status"] == "fail", ctx
    assert "vcpus=3" in res.log_text and "2 CPUs" in res.log_text, ctx
