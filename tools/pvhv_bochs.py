#!/usr/bin/python3
"""How a Bochs run is set up (DESIGN.md section 1): the CPU models Bochs
2.7 offers and the backend each gives pvhv, the boot images (a GRUB ISO, or
pvhv's own option-ROM loader with the hypervisor and boot data placed in RAM)
and the bochsrc. tools/pvhv_run.py starts Bochs and judges the run."""

import importlib.util
import re
import shlex
import shutil
import struct
import subprocess
from pathlib import Path

from pvhv_common import DEFAULT_GUEST, DEFAULT_HV, REPO, RunError, guest_paths  # noqa: F401

# Bochs (VMX): a Skylake-X model offers VMX with EPT, VPID, unrestricted
# guest, PAUSE-loop exiting and the preemption timer.
BOCHS_CPU_MODEL = "corei7_skylake_x"
# Every `cpu: model=` value Debian's Bochs 2.7 accepts (its cpudb, the names
# in bochs-bin after bx_generic), with the backend pvhv can use on it: "vmx"
# or "svm" where the model offers one, None where it offers neither. Models
# that offer VMX/SVM without what pvhv needs (EPT + unrestricted guest, NPT)
# are listed with their backend: pvhv refuses them with an error record.
BOCHS_CPU_MODELS = {
    "bx_generic": None, "pentium": None, "pentium_mmx": None, "amd_k6_2_chomper": None,
    "p2_klamath": None, "p3_katmai": None, "p4_willamette": None,
    "core_duo_t2400_yonah": "vmx", "atom_n270": None, "p4_prescott_celeron_336": None,
    "athlon64_clawhammer": None, "athlon64_venice": None, "turion64_tyler": "svm",
    "phenom_8650_toliman": "svm", "core2_penryn_t9600": "vmx",
    "corei5_lynnfield_750": "vmx", "corei5_arrandale_m520": "vmx",
    "corei7_sandy_bridge_2600k": "vmx", "zambezi": "svm", "trinity_apu": "svm",
    "ryzen": "svm", "corei7_ivy_bridge_3770k": "vmx", "corei7_haswell_4770": "vmx",
    "broadwell_ult": "vmx", "corei7_skylake_x": "vmx", "corei3_cnl": "vmx",
    "corei7_icelake_u": "vmx", "tigerlake": "vmx",
}
BOCHS_IPS = 80_000_000          # emulated instructions per emulated second
BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
BOCHS_VGABIOS = "/usr/share/bochs/VGABIOS-lgpl-latest"
BOCHS_DEFAULT_MEM = "512M"
BOCHS_POLL_S = 0.2              # serial file polling interval
BOCHS_EXIT_GRACE_S = 3          # after the end record, before killing Bochs
# A grub.cfg word that needs no quoting.
GRUB_PLAIN_WORD = re.compile(r"^[A-Za-z0-9_=,.:/+@%-]+$")


def bochs_cmd(rc_path):
    """Bochs under `script`: its term display needs a terminal."""
    return ["script", "-qfec", f"bochs -q -f {shlex.quote(str(rc_path))}", "/dev/null"]


def _grub_word(word):
    if GRUB_PLAIN_WORD.match(word):
        return word
    if "'" in word:
        raise RunError(f"--args word {word!r}: a single quote cannot be passed through grub.cfg")
    return f"'{word}'"


def make_bochs_iso(workdir, args, hv=None, guest=None, no_guest=False, native=False):
    """A GRUB ISO whose only menu entry boots hv.elf with `args` (native:
    guest.elf alone, through multiboot1)."""
    root = Path(workdir) / "iso"
    (root / "boot" / "grub").mkdir(parents=True)
    kernel, loader = ("guest.elf", "multiboot") if native else ("hv.elf", "multiboot2")
    shutil.copy(hv if hv is not None else DEFAULT_HV, root / "boot" / kernel)
    lines = ["set timeout=0", "set default=0", 'menuentry "pvhv" {',
             f"    {loader} /boot/{kernel} " + " ".join(_grub_word(w) for w in args.split())]
    if native and not no_guest:
        raise RunError("a native boot has no guest module")
    if not no_guest:   # one module2 line per guest: module i is VM i's kernel
        for i, g in enumerate(guest_paths(guest)):
            name = "guest.elf" if i == 0 else f"guest{i}.elf"
            shutil.copy(g, root / "boot" / name)
            lines.append(f"    module2 /boot/{name} guest{i if i else ''}")
    lines += ["    boot", "}", ""]
    (root / "boot" / "grub" / "grub.cfg").write_text("\n".join(lines))
    iso = Path(workdir) / "pvhv.iso"
    p = subprocess.run(["grub-mkrescue", "-o", str(iso), str(root)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0 or not iso.is_file():
        raise RunError(f"grub-mkrescue failed: {p.stdout.strip()[-500:]}")
    return iso


# pvhv's own Bochs loader (boot/bochs/optrom.asm): Bochs puts the ROM, the
# hypervisor's loaded image and a boot-data block (header + multiboot1 info +
# command line + module list + guest ELF) straight into memory, so neither
# GRUB nor a disk is read. The addresses and the boot-data header are the
# ROM's: read from boot/bochs/optrom_layout.h, which the ROM's assembly
# includes too (generated optrom_layout.inc), so they are written once.
DEFAULT_OPTROM = REPO / "build" / "bochs-optrom.bin"
OPTROM_LAYOUT_H = REPO / "boot" / "bochs" / "optrom_layout.h"
BOCHS_LOADERS = ("direct", "grub")


def _header_values(path):
    spec = importlib.util.spec_from_file_location(
        "asm_consts", REPO / "tools" / "gen" / "asm_consts.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.header_values(path)


_ROM = _header_values(OPTROM_LAYOUT_H)
BOCHS_OPTROM_ADDR = _ROM["OPTROM_ADDR"]
BOCHS_BOOTDATA_ADDR = _ROM["BOOTDATA_ADDR"]
BOCHS_BOOTDATA_SIG = _ROM["BOOTDATA_SIG"]
BOOTDATA_ENTRY_OFF = _ROM["BOOTDATA_ENTRY_OFF"]
BOOTDATA_INFO_OFF = _ROM["BOOTDATA_INFO_OFF"]
BOOTDATA_HEADER_SIZE = _ROM["BOOTDATA_HEADER_SIZE"]
MB1_INFO_CMDLINE = 1 << 2
MB1_INFO_MODS = 1 << 3
MB1_INFO_LOADER_NAME = 1 << 9
MB1_INFO_SIZE = 72                      # up to and including boot_loader_name
MB1_LOADER_NAME_OFF = 64
MB1_MODULE_SIZE = 16                    # start, end, string, reserved
ELF_PT_LOAD = 1
PAGE = 4096


def elf_image(path):
    """(entry, load address, bytes) of an ELF64 file as a loader would
    place it: every PT_LOAD segment at its physical address, zero-filled to
    its memory size."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise RunError(f"{path}: not an ELF64 file")
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    segs = []
    for i in range(phnum):
        ptype, _flags, off, _vaddr, paddr, filesz, memsz = struct.unpack_from(
            "<IIQQQQQ", data, phoff + i * phentsize)
        if ptype == ELF_PT_LOAD and memsz:
            segs.append((paddr, data[off:off + filesz], memsz))
    if not segs:
        raise RunError(f"{path}: no loadable segment")
    base = min(s[0] for s in segs)
    image = bytearray(max(s[0] + s[2] for s in segs) - base)
    for paddr, body, _memsz in segs:
        image[paddr - base:paddr - base + len(body)] = body
    if base + len(image) > BOCHS_BOOTDATA_ADDR:
        raise RunError(f"{path}: image reaches past {BOCHS_BOOTDATA_ADDR:#x}, "
                       "where the Bochs boot data goes")
    return entry, base, bytes(image)


def make_bochs_direct(workdir, args, hv=None, guest=None, no_guest=False):
    """The two RAM images of the direct boot: [(file, address), ...]."""
    entry, base, image = elf_image(hv if hv is not None else DEFAULT_HV)
    # Multiboot1 puts the kernel's path first (QEMU -kernel does too).
    cmdline = ("hv.elf " + args).encode() + b"\0"
    name = b"pvhv-bochs-optrom\0"
    info_at = BOCHS_BOOTDATA_ADDR + BOOTDATA_HEADER_SIZE
    blob = bytearray(BOOTDATA_HEADER_SIZE + MB1_INFO_SIZE)
    strings_at = info_at + MB1_INFO_SIZE
    blob += cmdline + name
    flags = MB1_INFO_CMDLINE | MB1_INFO_LOADER_NAME
    mods_count = mods_addr = 0
    if not no_guest:
        guests = guest_paths(guest)
        if len(guests) != 1:
            # Seen under Bochs 2.7: bytes of the boot-data image past the
            # first module read as zeros, so a second module arrives empty.
            raise RunError("the Bochs direct loader boots one guest module; for one per VM "
                           "use --loader grub (module2 lines) or QEMU")
        g = guests[0].read_bytes()
        mod_name_at = BOCHS_BOOTDATA_ADDR + len(blob)
        blob += b"guest\0"
        blob += bytes(-len(blob) % 16)
        mods_addr = BOCHS_BOOTDATA_ADDR + len(blob)
        blob += bytes(MB1_MODULE_SIZE)
        blob += bytes(-len(blob) % PAGE)
        start = BOCHS_BOOTDATA_ADDR + len(blob)
        blob += g
        struct.pack_into("<IIII", blob, mods_addr - BOCHS_BOOTDATA_ADDR,
                         start, start + len(g), mod_name_at, 0)
        flags |= MB1_INFO_MODS
        mods_count = 1
    struct.pack_into("<I", blob, 0, BOCHS_BOOTDATA_SIG)
    struct.pack_into("<I", blob, BOOTDATA_ENTRY_OFF, entry)
    struct.pack_into("<I", blob, BOOTDATA_INFO_OFF, info_at)
    info = BOOTDATA_HEADER_SIZE
    struct.pack_into("<IIIIIII", blob, info, flags, 0, 0, 0, strings_at, mods_count, mods_addr)
    struct.pack_into("<I", blob, info + MB1_LOADER_NAME_OFF, strings_at + len(cmdline))
    hv_bin = Path(workdir) / "hv.bin"
    hv_bin.write_bytes(image)
    data_bin = Path(workdir) / "bootdata.bin"
    data_bin.write_bytes(bytes(blob))
    return [(hv_bin, base), (data_bin, BOCHS_BOOTDATA_ADDR)]


def _megs(mem):
    m = re.fullmatch(r"(\d+)([MG]?)", str(mem).strip().upper())
    if not m:
        raise RunError(f"--mem {mem}: use a size like 512M or 1G")
    return int(m.group(1)) * (1024 if m.group(2) == "G" else 1)


def _panic_action(model, smp):
    """Bochs 2.7 raises a PANIC on a guest triple fault before it looks at
    the SVM SHUTDOWN intercept (cpu/exception.cc); with panic=fatal an SVM
    guest's triple fault would end the whole emulator instead of exiting to
    pvhv. Under SVM models the CPUs' panics only report, so the intercept
    happens; every other panic stays fatal (and a stuck run hits the
    timeout)."""
    if BOCHS_CPU_MODELS.get(model) != "svm":
        return "panic: action=fatal"
    return "panic: action=fatal, " + ", ".join(f"cpu{n:x}=report" for n in range(smp))


def write_bochsrc(workdir, iso, smp, mem, serial_path, model=BOCHS_CPU_MODEL,
                  ram_images=None, optrom=None, verdict_path=None):
    """The bochsrc: boot `iso` through GRUB, or (iso None) the direct path,
    `optrom` plus `ram_images` [(file, address), ...]."""
    rc = Path(workdir) / "bochsrc"
    if iso is not None:
        boot = [f"ata0-master: type=cdrom, path={iso}, status=inserted", "boot: cdrom"]
    else:
        # The ROM takes over during POST: no boot device is ever read.
        boot = [f"optromimage1: file={optrom}, address={BOCHS_OPTROM_ADDR:#x}"]
        boot += [f"optramimage{i + 1}: file={f}, address={a:#x}"
                 for i, (f, a) in enumerate(ram_images)]
        boot += ["boot: floppy"]
    rc.write_text("\n".join([
        f"cpu: model={model}, count={smp}, ips={BOCHS_IPS}, reset_on_triple_fault=0",
        f"megs: {_megs(mem)}",
        # fastboot: no F12 boot-menu wait (seconds of emulated time).
        f"romimage: file={BOCHS_BIOS}, options=fastboot",
        f"vgaromimage: file={BOCHS_VGABIOS}",
        *boot,
        f"com1: enabled=1, mode=file, dev={serial_path}",
        # The verdict port is LPT1, not COM2: Bochs 2.7 registers at most 64
        # timers (BX_MAX_TIMERS), 3 for each CPU and 3 for each serial port,
        # so 16 CPUs leave room for COM1 alone, and that only without the
        # HPET's 3 (pvhv does not use it). The parallel port has none.
        f"parport1: enabled=1, file={verdict_path or Path(workdir) / 'verdict.log'}",
        "pci: enabled=1, chipset=i440fx, advopts=nohpet",
        "display_library: term",
        "pci: enabled=1, chipset=i440fx, advopts=nohpet",
        "clock: sync=none, time0=1",
        f"log: {Path(workdir) / 'bochs.log'}",
        _panic_action(model, smp),
        "error: action=report",
        "",
    ]))
    return rc
