"""The type checker runs over pybpf/ with 0 errors; every `# type: ignore` says why."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: a silenced line names the error code and, after it, the reason: "# type: ignore[code]  # why"
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")


def test_mypy_finds_no_errors():
    # pyproject.toml [tool.mypy] holds the settings (files, unused-ignore warnings, overrides)
    out = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"mypy:\n{out.stdout}{out.stderr}"


def test_every_type_ignore_names_its_code_and_reason():
    bare = []
    for path in sorted((ROOT / "pybpf").rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = IGNORE.search(line)
            if m and (not m["codes"] or not re.match(r"\s+#\s*\S", m["rest"])):
                bare.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert bare == [], "give each `# type: ignore[code]` a reason:  # type: ignore[code]  # why\n" \
        + "\n".join(bare)
