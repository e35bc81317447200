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
