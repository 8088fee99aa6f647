"""The catalog of verifier rejections (tests/explain/catalog/): how its programs are written.

Each program is one file, C (``NN_name.c``) or assembly (``NN_name.s``), whose header
comments say what the kernel answers and how pybpf must explain it::

    // message: invalid_mem_access      (a key of pybpf.verifier.messages.MESSAGES)
    // kind: program                    (program, compiler, verifier_limit, environment)
    // type: xdp                        (assembly only: the program type)
    // hint: if (!p)                    (a piece of pybpf's fix hint in the file's language)

The bad variant is the file as it is; the fixed one is the hint applied: C files are
compiled with ``-DFIXED`` (``#ifdef FIXED``), assembly lines ending in ``// fix`` are kept
only in the fixed variant and lines ending in ``// bad`` only in the bad one. ``FAIL``
marks the line the kernel rejects (``/* FAIL */`` or ``// FAIL``), ``ROOT`` the line where
the problem was made, when it is another line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CATALOG = Path(__file__).with_name("catalog")
_HEADER = re.compile(r"^//\s*(message|kind|type|hint|root):\s*(.*?)\s*$")


@dataclass
class Entry:
    path: Path
    lang: str  # "c" or "asm"
    message: str
    kind: str
    hint: str
    prog_type: str | None
    fail_line: int
    root_line: int | None

    @property
    def name(self) -> str:
        return self.path.name

    def asm_variant(self, fixed: bool) -> str:
        out = []
        for ln in self.path.read_text().splitlines():
            s = ln.rstrip()
            if s.endswith("// fix"):
                out.append(s[:-len("// fix")] if fixed else "")
            elif s.endswith("// bad"):
                out.append("" if fixed else s[:-len("// bad")])
            else:
                out.append(ln)
        return "\n".join(out) + "\n"


def _marker_line(text: str, mark: str) -> int | None:
    for n, ln in enumerate(text.splitlines(), 1):
        if re.search(rf"(/\*\s*{mark}\s*\*/|//\s*{mark}\b)", ln):
            return n
    return None


def load_entry(path: Path) -> Entry:
    text = path.read_text()
    head: dict[str, str] = {}
    for ln in text.splitlines():
        m = _HEADER.match(ln.strip())
        if m:
            head[m.group(1)] = m.group(2)
    fail = _marker_line(text, "FAIL")
    if fail is None or "message" not in head or "kind" not in head:
        raise ValueError(f"{path}: needs // message:, // kind: and a FAIL marker")
    return Entry(path, "c" if path.suffix == ".c" else "asm", head["message"], head["kind"],
                 head.get("hint", ""), head.get("type"), fail, _marker_line(text, "ROOT"))


def entries() -> list[Entry]:
    return [load_entry(p) for p in sorted(CATALOG.iterdir()) if p.suffix in (".c", ".s")]
