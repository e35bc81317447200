"""Issue 12 item 5: mixed workloads. vmN.key=value sets a guest-task key for
one VM; task=hog burns CPU without locks. A run with lockstress in VM0 next
to a hog VM: each VM's records show its own task, and the vm_config records
after the run record show each VM's effective guest configuration."""

import pytest

pytestmark = pytest.mark.boot

SMP = 2


def test_lockstress_next_to_hog(boot):
    run = boot(smp=SMP, args="vms=2 vcpus=2 task=lockstress duration=600 "
                             "vm1.task=hog vm1.duration=400")
    run.assert_passed(smp=SMP, vms=2, vcpus=2)
    assert run.records[0]["config"]["task"] == "lockstress", run.context()
    conf = {r["vm"]: r for r in run.kind("vm_config")}
    assert sorted(conf) == [0, 1], run.context()
    assert (conf[0]["task"], conf[0]["duration"]) == ("lockstress", 600), run.context()
    assert (conf[1]["task"], conf[1]["duration"]) == ("hog", 400), run.context()
    assert all(r["kind"] == "vm_config" for r in run.records[1:3]), run.context()

    locks = {r["vm"]: r for r in run.kind("lock_vm")}
    hogs = {r["vm"]: r for r in run.kind("hog_vm")}
    assert sorted(locks) == [0] and sorted(hogs) == [1], run.context()
    assert locks[0]["acquisitions"] > 0 and locks[0]["violations"] == 0, run.context()
    assert hogs[1]["rounds"] > 0 and hogs[1]["vcpus"] == 2, run.context()
    hog_vcpus = {(r["vm"], r["vcpu"]) for r in run.kind("hog_vcpu")}
    assert hog_vcpus == {(1, 0), (1, 1)}, run.context()
    assert all(r["rounds"] > 0 for r in run.kind("hog_vcpu")), run.context()
    assert {r["vm"] for r in run.kind("lock_vcpu")} == {0}, run.context()
