"""Issue 13 item 3: any guest kernel per VM. Module i is VM i's guest and
fewer modules than VMs repeat the last (QEMU -initrd a,b; GRUB module2
lines, under Bochs too; Bochs' direct loader takes one module only). Two different images in one run:
build/guest.elf and build/guest-hostile.elf (the same sources with
-DGUEST_HOSTILE: it only fuzzes, fatal operations included, whatever task=
says). The hypervisor checks every module before any VM starts."""

import re

import pytest

import pvhv_run

NORMAL = pvhv_run.DEFAULT_GUEST
HOSTILE = NORMAL.parent / "guest-hostile.elf"


def check_mixed_run(run, vms):
    assert not run.timed_out, run.context()
    run.assert_framed()
    got = run.vms()
    assert sorted(got) == list(range(vms)), run.context()
    # VM 0 ran guest.elf: its lockstress passed.
    assert got[0]["state"] == "done" and got[0]["guest_status"] == 0, run.context()
    locks = run.kind("lock_vm")
    assert [r["vm"] for r in locks] == [0] and locks[0]["violations"] == 0, run.context()
    # Every later VM ran the hostile image (the last module, repeated): it
    # fuzzed instead of running lockstress and was killed for it.
    for vm in range(1, vms):
        assert got[vm]["state"] == "killed", run.context()
        assert re.match(r"\d+ fatal-", got[vm]["last_ops"][-1]), run.context()


def test_two_images_and_the_last_repeats_qemu(boot):
    assert HOSTILE.is_file(), "build/guest-hostile.elf missing (make all)"
    run = boot(smp=2, args="vms=3 vcpus=2 task=lockstress duration=200",
               guest=f"{NORMAL},{HOSTILE}")
    check_mixed_run(run, 3)
    assert "hostile build" in run.result.log_text


@pytest.mark.bochs
def test_two_images_bochs_grub(backend_boot):
    run = backend_boot("vmx", smp=2, args="vms=2 vcpus=2 task=lockstress duration=200",
                       guest=f"{NORMAL},{HOSTILE}", loader="grub")
    check_mixed_run(run, 2)


def test_bochs_direct_loader_refuses_two_modules():
    with pytest.raises(pvhv_run.RunError, match="direct loader boots one guest module"):
        pvhv_run.run(emu="bochs", args="vms=2", guest=f"{NORMAL},{HOSTILE}", timeout=5)


def test_every_module_is_checked(boot, tmp_path):
    junk = tmp_path / "not-an-elf.bin"
    junk.write_bytes(b"hello, I am not a kernel\n" * 8)
    run = boot(smp=2, args="vms=2 vcpus=1", guest=f"{NORMAL},{junk}")
    run.assert_failed_cleanly()
    err = run.one("error")
    assert err["key"] == "guest", run.context()
    assert re.search(r"VM 1's guest module 1 \(.*\): guest module is not an ELF file",
                     err["message"]), run.context()
    assert run.kind("vm") == [], run.context()


def test_a_module_no_vm_runs_is_refused(boot):
    run = boot(smp=2, args="vms=2 vcpus=1", guest=f"{NORMAL},{NORMAL},{HOSTILE}")
    run.assert_failed_cleanly()
    err = run.one("error")
    assert err["key"] == "guest" and "3 guest modules for vms=2" in err["message"], run.context()
