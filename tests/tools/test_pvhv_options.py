"""tools/pvhv_options.py reads hv/cfg.c's option table so tools spell no
defaults. Checked against README.md's options table, which
tests/unit/test_cfg_readme.c keeps equal to the parser's table: a reader
that dropped a key, or read the wrong field, disagrees with it."""

import re

import bench_matrix
import pvhv_options
from pvhv_common import REPO


def readme_defaults():
    """The options table: from its `| key | default | allowed |` header to
    the first line that is not a table row."""
    text = (REPO / "README.md").read_text()
    start = text.index("| key | default | allowed |")
    table = text[start:].split("\n\n", 1)[0]
    return dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]*?) \|", table, re.M))


def test_every_key_and_default_as_the_readme_says():
    table, readme = pvhv_options.defaults(), readme_defaults()
    assert len(table) >= 40, table
    for key, value in table.items():
        assert readme.get(key) == value, f"{key}: table {value!r}, README {readme.get(key)!r}"


def test_pv_opt_str_defaults_come_from_pv_options_h():
    h = (REPO / "libpv" / "pv_options.h").read_text()
    dur = re.search(r"#define PV_OPT_DURATION_MS\s+(\d+)", h).group(1)
    assert pvhv_options.default("duration") == dur


def test_matrix_without_duration_or_seed_takes_the_tables():
    m = bench_matrix.parse("[bench]\n[locks]\novercommit = 1\nlock = ticket\n")
    run = m.runs()[0]
    assert run.duration == int(pvhv_options.default("duration"))
    assert run.seed == int(pvhv_options.default("seed"))
    # Without a probe the option table says which values to leave off.
    assert f"lock={pvhv_options.default('lock')}" not in bench_matrix.cmdline(run, 2, None)
