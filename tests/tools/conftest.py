"""Make tools/ importable for the host-side tool tests, and name fixtures."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures():
    return FIXTURES


@pytest.fixture
def sample_text():
    return (FIXTURES / "sample.log").read_text(encoding="utf-8")
