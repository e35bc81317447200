"""Deterministic mode (DESIGN.md §11): single-threaded TCG with a fixed
-icount shift runs the same commit the same way on any host, so the same
seed gives the same numbers, record for record. A different seed must give
different numbers (lockstress picks among locks=4 with the seeded PRNG),
else the equality would prove nothing."""

import pytest

from conftest import boot_once

SMP = 2
ARGS = "vms=2 vcpus=2 task=lockstress lock=pvticket locks=4 duration=200 spin_threshold=64"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return [boot_once(tmp_path_factory, f"det{i}", SMP, f"{ARGS} seed={seed}",
                      deterministic=True)
            for i, seed in enumerate((7, 7, 8))]


def numbers(run):
    """Every record but `run` (its cmdline differs with the seed)."""
    return [r for r in run.records if r["kind"] != "run"]


def test_same_seed_same_numbers(runs):
    a, b, _ = runs
    for run in (a, b):
        run.assert_passed(smp=SMP, vms=2, vcpus=2)
    assert numbers(a) == numbers(b), "two deterministic runs of seed 7 differ"
    assert a.result.log_text == b.result.log_text


def test_other_seed_other_numbers(runs):
    a, _, c = runs
    c.assert_passed(smp=SMP, vms=2, vcpus=2)
    assert [r for r in numbers(a) if r["kind"] == "lock_vcpu"] != \
        [r for r in numbers(c) if r["kind"] == "lock_vcpu"], "seed changes nothing"
