#!/usr/bin/python3
"""Assembler and linker constants from the C headers, so no number is typed
twice (STYLE.md "one source of truth"). Build-time only (the Makefile runs it).

  asm_consts.py nasm HEADER [PREFIX...]   #define NAME <integer> -> %define NAME <integer>
  asm_consts.py ld HEADER [PREFIX...]     ... -> NAME = <integer>; (for INCLUDE in hv.ld)
  asm_consts.py offsets ASM_FILE          "@@def NAME VALUE" markers of a gcc -S output
                                          (tools/gen/asm_offsets.c) -> %define NAME VALUE

Also imported by host tools (header_values) so that Python reads the same
numbers, e.g. tools/pvhv_bochs.py the option ROM's boot/bochs/optrom_layout.h.

Only defines whose value is an integer expression (numbers, + - * << >> | & ~
and parentheses, other such names) are taken; C suffixes (u, ull) are dropped.
"""
import re
import sys

DEFINE = re.compile(r"^\s*#\s*define\s+([A-Z_][A-Z0-9_]*)\s+(.+?)\s*(/\*.*)?$")
NUMBER = re.compile(r"\b(0[xX][0-9A-Fa-f]+|[0-9]+)(?:[uU]?[lL]{0,2}|[lL]{1,2}[uU]?)\b")
TOKENS = re.compile(r"^[\sA-Z0-9_xXa-fA-F()+\-*<>|&~]+$")


def header_defines(path, prefixes):
    out, known = [], set()
    for line in open(path):
        m = DEFINE.match(line)
        if not m:
            continue
        name, value = m.group(1), m.group(2)
        if prefixes and not name.startswith(tuple(prefixes)):
            continue
        value = NUMBER.sub(lambda n: n.group(1), value)
        names = set(re.findall(r"\b[A-Z_][A-Z0-9_]*\b", value)) - {"X"}
        if not TOKENS.match(value) or not names <= known:
            continue
        out.append((name, value))
        known.add(name)
    return out


def header_values(path, prefixes=()):
    """{NAME: int} of the same defines, evaluated (the operators are
    Python's too; each value may use the names defined before it)."""
    values = {}
    for name, value in header_defines(path, prefixes):
        values[name] = int(eval(value, {"__builtins__": {}}, dict(values)))
    return values


def main():
    mode, src = sys.argv[1], sys.argv[2]
    origin = f"generated from {src} by tools/gen/asm_consts.py; do not edit"
    if mode == "nasm":
        print(f"; {origin}")
        for name, value in header_defines(src, sys.argv[3:]):
            print(f"%define {name} ({value})")
    elif mode == "ld":
        print(f"/* {origin} */")
        for name, value in header_defines(src, sys.argv[3:]):
            print(f"{name} = ({value});")
    elif mode == "offsets":
        print(f"; {origin}")
        for line in open(src):
            m = re.search(r"@@def (\w+) \$?(-?\d+)", line)
            if m:
                print(f"%define {m.group(1)} {m.group(2)}")
    else:
        sys.exit(f"asm_consts.py: unknown mode {mode}")


if __name__ == "__main__":
    main()
