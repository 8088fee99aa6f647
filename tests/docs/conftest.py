"""Fixtures of the docs tests: one headless Chromium for the module's browser tests."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from .chromium import Browser, executable

ROOT = Path(__file__).resolve().parents[2]
#: where the screenshots shown on the site live; tests write there only when asked
IMAGES = ROOT / "docs" / "images"
#: in CI a missing chromium fails the browser tests instead of skipping them
REQUIRED = os.environ.get("CI") == "true" or os.environ.get("PYBPF_REQUIRE_KERNEL") == "1"


@pytest.fixture(scope="module")
def browser():
    if executable() is None:
        reason = "chromium is not installed (apt-get install chromium; `make deps` does)"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)
    with Browser() as b:
        yield b


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where a test writes its screenshots: docs/images/ with PYBPF_UPDATE_SCREENSHOTS=1
    (then commit them), else a temporary directory."""
    if os.environ.get("PYBPF_UPDATE_SCREENSHOTS") == "1":
        IMAGES.mkdir(exist_ok=True)
        return IMAGES
    return tmp_path
