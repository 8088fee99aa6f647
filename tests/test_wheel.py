"""The wheel a user without a compiler installs (.ci/wheel_test.py, run as CI runs it).

Builds the sdist and, from it, the wheel; installs the wheel in a new venv whose PATH has no
C compiler; runs examples/demo.py, the assembler/verifier/VM and (as root) a kernel load
from the installed copy. About 15 s.
"""
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "wheel_test.py"


@pytest.mark.slow
def test_wheel_installs_and_runs_without_a_compiler():
    res = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "wheel test: every step passed" in res.stdout
