"""Issue 2 foundation: hostile or impossible input is refused (DESIGN.md §8):
the run ends through the fail code with an `error` record naming the key and
an `end` record with status fail. Nothing is silently clamped."""

import pytest

pytestmark = pytest.mark.bad_input


@pytest.mark.parametrize("args, key, value", [
    pytest.param("frobnicate=1", "frobnicate", "1", id="unknown-key"),
    pytest.param("vms=two", "vms", "two", id="malformed-value"),
    pytest.param("vms=1000", "vms", "1000", id="too-many-vms"),
    pytest.param("vcpus=65", "vcpus", "65", id="vcpus-beyond-abi"),
    pytest.param("mem=64G", "mem", "64G", id="mem-beyond-parser-range"),
    pytest.param("vms=2 vm2.task=hog", "vm2.task", "hog", id="override-of-missing-vm"),
    pytest.param("vm0.sched=gang", "vm0.sched", "gang", id="override-of-hv-key"),
    pytest.param("trace=maybe", "trace", "maybe", id="trace-bad-word"),
])
def test_bad_key_is_refused(boot, args, key, value):
    """The error record names the key and the value that was given."""
    run = boot(smp=2, args=args)
    run.assert_failed_cleanly()
    errors = [e for e in run.kind("error") if e.get("key") == key]
    assert errors, f"no error record with key {key!r}: {run.kind('error')}\n{run.context()}"
    assert str(errors[0].get("value")) == value, run.context()
    assert run.kind("vm") == [], f"a VM was built despite the error\n{run.context()}"


def test_vms_beyond_free_memory_are_refused(boot):
    """Each value within the parser's range, but 16 VMs x 64M do not fit the
    512M machine: the platform check (not the parser) refuses, naming mem,
    the free memory and the reserve."""
    run = boot(smp=2, args="vms=16 vcpus=1 mem=64M")
    run.assert_failed_cleanly()
    errors = run.kind("error")
    assert [e["key"] for e in errors] == ["mem"], run.context()
    assert errors[0]["value"] == "64M", run.context()
    message = errors[0]["message"]
    assert "vms=16 x 64M" in message and "of free memory" in message, message
    assert run.records[0]["config"]["vms"] == 16, "refused by the parser, not the platform check"
    assert run.kind("vm") == [], run.context()


def test_missing_guest_module_is_refused(boot):
    """Booted without -initrd: an error record with key "guest"."""
    run = boot(smp=2, no_guest=True)
    run.assert_failed_cleanly()
    assert [e for e in run.kind("error") if e.get("key") == "guest"], run.context()


def test_cpu_without_svm_is_refused(boot):
    """A CPU without SVM (and no VMX), backend=auto: one error record on
    key "cpu" saying that neither extension is there."""
    run = boot(smp=2, cpu="qemu64,-svm")
    run.assert_failed_cleanly()
    errors = run.kind("error")
    assert [e["key"] for e in errors] == ["cpu"], run.context()
    assert errors[0]["value"] == "auto", run.context()
    message = errors[0]["message"]
    assert "no usable virtualization backend" in message, message
    assert "SVM" in message and "VMX" in message, message
    assert run.kind("vm") == [], run.context()
