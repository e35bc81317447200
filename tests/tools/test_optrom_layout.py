"""The Bochs option ROM's addresses are written once, in
boot/bochs/optrom_layout.h: the ROM's assembly includes the generated
optrom_layout.inc, and tools/pvhv_bochs.py reads the same defines."""

import re

import pvhv_bochs
from conftest import REPO

LAYOUT = REPO / "boot" / "bochs" / "optrom_layout.h"


def _gen():
    import importlib.util
    spec = importlib.util.spec_from_file_location("asm_consts", REPO / "tools" / "gen" / "asm_consts.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_header_values_evaluate_in_order(tmp_path):
    h = tmp_path / "x.h"
    h.write_text("#define A 0x10u\n#define B (A << 2) /* c */\n#define C \"str\"\n"
                 "#define D (B | 1ull)\n")
    assert _gen().header_values(h) == {"A": 16, "B": 64, "D": 65}


def test_tool_uses_the_layout_header():
    v = _gen().header_values(LAYOUT)
    assert pvhv_bochs.BOCHS_OPTROM_ADDR == v["OPTROM_ADDR"] == 0xD0000
    assert pvhv_bochs.BOCHS_BOOTDATA_ADDR == v["BOOTDATA_ADDR"]
    assert pvhv_bochs.BOCHS_BOOTDATA_SIG.to_bytes(4, "little") == b"PVHB"
    assert v["OPTROM_SIZE"] % 512 == 0


def test_no_layout_number_typed_twice():
    """Neither the ROM's source nor the tool spells the addresses again."""
    v = _gen().header_values(LAYOUT)
    for path in (REPO / "boot" / "bochs" / "optrom.asm", REPO / "tools" / "pvhv_bochs.py"):
        text = path.read_text()
        literals = {int(n, 0) for n in re.findall(r"\b0[xX][0-9A-Fa-f]+\b", text)}
        for name in ("OPTROM_ADDR", "BOOTDATA_ADDR", "BOOTDATA_SIG"):
            assert v[name] not in literals, f"{path.name} types {name} again"
    assert '%include "optrom_layout.inc"' in (REPO / "boot" / "bochs" / "optrom.asm").read_text()
