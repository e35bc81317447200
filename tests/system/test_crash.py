"""Issue 2 foundation: a misbehaving guest is contained. VM 1 triple-faults
or touches memory outside its nested page tables; it alone is killed (with a
reason), VM 0 finishes, and the run reports the kill and fails."""

import pytest

pytestmark = pytest.mark.crash


@pytest.mark.parametrize("how, exit_reason", [
    pytest.param("triple", "shutdown", id="triple-fault"),
    pytest.param("npf", "npf", id="outside-npt"),
])
def test_crashing_vm_is_killed_alone(boot, how, exit_reason):
    run = boot(smp=2, args=f"vms=2 vcpus=1 crash=1:{how}")
    run.assert_failed_cleanly()
    assert run.kind("error") == [], run.context()
    vms = run.vms()
    assert sorted(vms) == [0, 1], run.context()
    assert vms[0]["state"] == "done", run.context()
    assert vms[1]["state"] == "killed", run.context()
    assert isinstance(vms[1].get("reason"), str) and vms[1]["reason"], run.context()
    end = run.records[-1]
    assert end["vms_done"] == 1 and end["vms_killed"] == 1, run.context()
    # The hypervisor saw the exit that killed it on VM 1's only vCPU.
    hv = run.index("hv_vcpu", ("vm", "vcpu"))
    assert hv[(1, 0)]["exits"].get(exit_reason, 0) >= 1, run.context()


def test_timeout_kills_a_vm_that_runs_too_long(boot):
    """timeout= bounds a run: a VM still busy when it expires is killed with
    a reason naming the timeout, and the run fails cleanly."""
    run = boot(smp=2, args="vms=1 vcpus=2 duration=60000 timeout=300")
    run.assert_failed_cleanly()
    vm = run.vms()[0]
    assert vm["state"] == "killed" and "timeout" in vm["reason"], run.context()
    assert run.records[-1]["vms_killed"] == 1, run.context()
