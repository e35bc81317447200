"""Issue 2 foundation: valid configurations boot under QEMU (kernel +
module, and through the GRUB ISO), every VM finishes and the run passes
with a complete report."""

import pytest

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("smp, vms, vcpus", [
    pytest.param(1, 1, 1, id="1vm-1vcpu-on-1pcpu"),
    pytest.param(2, 1, 4, id="1vm-4vcpus-on-2pcpus"),
    pytest.param(2, 3, 2, id="3vms-2vcpus-on-2pcpus"),
    pytest.param(4, 2, 4, id="2vms-4vcpus-on-4pcpus"),
])
def test_boot_config(boot, smp, vms, vcpus):
    """Every VM ends done, every vCPU and pCPU is reported, and each guest
    brought up all its vCPUs with every IPI acknowledged."""
    run = boot(smp=smp, args=f"vms={vms} vcpus={vcpus}")
    run.assert_passed(smp=smp, vms=vms, vcpus=vcpus)
    smp_recs = run.kind("smp")
    assert sorted(r["vm"] for r in smp_recs) == list(range(vms)), run.context()
    for rec in smp_recs:
        assert rec["vcpus_up"] == vcpus, run.context()
        assert rec["ipis_acked"] == rec["ipis_sent"], run.context()


def test_boot_grub_iso_default_cmdline(boot):
    """The GRUB ISO (multiboot2, its own default command line) boots and
    passes; the run header matches what ran."""
    run = boot(smp=2, iso=True)
    config = run.records[0].get("config", {}) if run.records else {}
    run.assert_passed(smp=2, vms=config.get("vms"), vcpus=config.get("vcpus"))


def test_output_while_vms_run_waits_in_the_ring_and_all_of_it_is_printed(boot):
    """While VMs run, console output waits in the hypervisor's ring and
    pCPUs with nothing to run print it (hv/core/console.c), so printing at
    115200 baud never holds a pCPU that has a vCPU to run. 1 VM x 1 vCPU on
    2 pCPUs: pCPU 1 is idle and prints; every byte queued is printed, in
    order (the records parse and the report is complete)."""
    run = boot(smp=2, args="vms=1 vcpus=1 task=smp,lockstress duration=200")
    run.assert_passed(smp=2, vms=1, vcpus=1)
    (con,) = run.kind("console")
    assert con["ring_bytes"] == 1 << 20, run.context()
    assert con["queued"] > 0 and con["printed"] == con["queued"], run.context()
    assert 0 < con["idle_printed"] <= con["printed"], run.context()
    assert con["full_waits"] == 0 and con["max_queued"] <= con["ring_bytes"], run.context()
    # The guest's lines and REPORTs went through it, whole and in order.
    assert "[vm0.vcpu0] smp: 1 vCPUs up" in run.result.log_text, run.context()
    assert len(run.kind("lock_vcpu")) == 1 and len(run.kind("lock_vm")) == 1, run.context()
