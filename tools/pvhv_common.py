#!/usr/bin/python3
"""What every pvhv host tool needs to find the images and to say that a run
could not be started: the repository, the build directory and RunError."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# PVHV_BUILD names another build directory (make test-mutants boots the
# planted-bug builds in build/mutant-<name> through the same tests).
BUILD_DIR = Path(os.environ.get("PVHV_BUILD", REPO / "build"))
if not BUILD_DIR.is_absolute():
    BUILD_DIR = REPO / BUILD_DIR
DEFAULT_HV = BUILD_DIR / "hv.elf"
DEFAULT_GUEST = BUILD_DIR / "guest.elf"
DEFAULT_ISO = BUILD_DIR / "pvhv.iso"


class RunError(Exception):
    """The run could not be started: bad options or missing files."""


def guest_paths(guest):
    """The guest modules to boot, in VM order: --guest "a.elf,b.elf" (or a
    list) is VM 0's and VM 1's kernel; the hypervisor repeats the last for
    further VMs. None means build/guest.elf."""
    if guest is None:
        return [DEFAULT_GUEST]
    if isinstance(guest, (str, os.PathLike)):
        items = str(guest).split(",")
    else:
        items = [str(g) for g in guest]
    if not items or any(not g for g in items):
        raise RunError(f"--guest {guest!r}: a comma-separated list of guest ELF files")
    return [Path(g) for g in items]
