#!/usr/bin/python3
"""The hypervisor's option table (hv/cfg.c) read by the host tools, so that
no tool spells a default again: key -> default as it would be typed. A
default written as PV_OPT_STR(NAME) is looked up in libpv/pv_options.h.
A tool that has a run record should prefer its `config` (that hypervisor's
own values); this table is the source's, for when there is none."""

import functools
import re

from pvhv_common import REPO

CFG_C = REPO / "hv" / "cfg.c"
PV_OPTIONS_H = REPO / "libpv" / "pv_options.h"
DEF_FIELD = 5      # struct key: name, kind, min, max, words, def, unit, F(field)


class OptionTableError(Exception):
    """hv/cfg.c's table could not be read; the message says where."""


def _split_top(text, sep):
    """Split at `sep` outside strings, parentheses and braces."""
    parts, depth, cur, i, instr = [], 0, [], 0, False
    while i < len(text):
        c = text[i]
        if instr:
            cur.append(c)
            if c == "\\":
                cur.append(text[i + 1])
                i += 1
            elif c == '"':
                instr = False
        elif c == '"':
            instr = True
            cur.append(c)
        elif c in "({":
            depth += 1
            cur.append(c)
        elif c in ")}":
            depth -= 1
            cur.append(c)
        elif c == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def _value(expr, macros):
    expr = expr.strip()
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', expr)
    if strings and re.fullmatch(r'(\s*"(?:[^"\\]|\\.)*"\s*)+', expr):
        return "".join(strings)
    m = re.fullmatch(r"PV_OPT_STR\((\w+)\)", expr)
    if m and m.group(1) in macros:
        return macros[m.group(1)]
    raise OptionTableError(f"{CFG_C.name}: cannot read the default {expr!r}")


@functools.lru_cache(maxsize=None)
def defaults():
    """{key: default} of every key in hv/cfg.c's table, in table order."""
    macros = dict(re.findall(r"^#define\s+(PV_OPT_\w+)\s+(\d+)", PV_OPTIONS_H.read_text(), re.M))
    src = re.sub(r"/\*.*?\*/", "", CFG_C.read_text(), flags=re.S)
    m = re.search(r"static const struct key keys\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    if not m:
        raise OptionTableError(f"{CFG_C.name}: no `static const struct key keys[]` table")
    out = {}
    for entry in _split_top(m.group(1), ","):
        if not entry.startswith("{"):
            raise OptionTableError(f"{CFG_C.name}: unexpected {entry[:40]!r} in the table")
        fields = _split_top(entry[1:-1], ",")
        out[_value(fields[0], macros)] = _value(fields[DEF_FIELD], macros)
    return out


def default(key):
    """The source's default of one key (KeyError if the table has no such key)."""
    return defaults()[key]
