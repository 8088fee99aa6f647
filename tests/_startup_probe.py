"""The import-graph probe of the start-up tests (tests/test_startup.py,
tests/bpftrace/test_startup_path.py): which modules a fresh interpreter loads for a piece
of code, and through which chain of importers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported(code: str) -> dict[str, str | None]:
    """Modules a fresh interpreter has after running ``code``, each with the module whose
    import brought it in (from -X importtime's nesting). No site (-S): an editable install's
    import hook would load half of these modules itself; pybpf comes from the tree."""
    proc = subprocess.run([sys.executable, "-S", "-X", "importtime", "-c",
                           code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = proc.stdout.strip().splitlines()[-1].split()
    parents: dict[str, str | None] = dict.fromkeys(loaded)
    entries = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "imported package" not in line:
            name = line.split("|")[2]
            entries.append(((len(name) - len(name.lstrip())) // 2, name.strip()))
    for i, (depth, name) in enumerate(entries):  # importtime prints children first
        for d2, n2 in entries[i + 1:]:
            if d2 < depth:
                parents[name] = n2
                break
    return parents


def banned_imports(code: str, banned: tuple[str, ...]) -> dict[str, str]:
    """The modules of ``banned`` that running ``code`` imports, each with its chain of
    importers (``re <- pybpf.x <- pybpf``); empty when the path is lean."""
    parents = imported(code)
    found = {}
    for module in banned:
        if module in parents:
            chain, m = [module], module
            while parents.get(m) and len(chain) < 12:
                m = parents[m]  # type: ignore[assignment]
                chain.append(m)
            found[module] = " <- ".join(chain)
    return found
