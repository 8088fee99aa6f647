"""Read bpf_conformance ``.data`` test vectors.

A vector is a text file of sections, each starting with a line ``-- NAME``:
``asm`` (the program in the gas-like syntax, see `pybpf.asm.gas`), ``mem``
(hex bytes of the input memory), ``result`` (the expected r0, hex), ``raw``
(the expected encoded instruction words, one 64-bit number a line), and
notes such as ``error``, ``c`` or ``no register offset``. Lines starting with
``#`` before the first section are the file's header comments.

>>> t = parse_vector("-- asm\\nmov %r0, 1\\nexit\\n-- result\\n0x1\\n", name="one")
>>> t.result, t.mem, t.asm_line
(1, b'', 2)
>>> t.program().encode().hex()
'b7000000010000009500000000000000'
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import PybpfError

if TYPE_CHECKING:
    from ..isa.program import ProgramSpec

__all__ = ["ConformanceError", "Vector", "load_vector", "load_vectors", "parse_vector"]


class ConformanceError(PybpfError, ValueError):
    """A ``.data`` file is malformed (names the file and line)."""


@dataclass(frozen=True)
class Vector:
    """One bpf_conformance test vector.

    ``asm`` is the program text and ``asm_line`` the file line where it
    starts; ``raw`` the expected instruction words (None when the file has no
    ``-- raw`` section); ``result`` the expected r0 (None when absent);
    ``error`` the text of an ``-- error`` section (an expected failure);
    ``sections`` every section's raw text by name, including the ones above.
    """

    name: str
    asm: str
    asm_line: int = 1
    mem: bytes = b""
    result: int | None = None
    raw: tuple[int, ...] | None = None
    error: str | None = None
    comments: tuple[str, ...] = ()
    sections: dict[str, str] = field(default_factory=dict)
    path: str | None = None

    @property
    def raw_bytes(self) -> bytes | None:
        """The ``-- raw`` words as little-endian bytecode (8 bytes a word)."""
        if self.raw is None:
            return None
        return b"".join(struct.pack("<Q", w) for w in self.raw)

    @property
    def no_register_offset(self) -> bool:
        """True when the vector says the kernel plugin cannot express one instruction."""
        return "no register offset" in self.sections

    def program(self) -> ProgramSpec:
        """The ``asm`` section assembled; `AsmError` lines point into the ``.data`` file."""
        from ..asm.gas import parse  # lazy: reading vectors needs no assembler

        # Pad with blank lines so that error line numbers are the file's own.
        return parse("\n" * (self.asm_line - 1) + self.asm, filename=self.path or self.name)


def _strip_comment(text: str) -> str:
    at = text.find("#")
    return (text if at < 0 else text[:at]).strip()


def _number(text: str, where: str) -> int:
    try:
        return int(text, 16) if text.lower().startswith(("0x", "-0x")) else int(text, 0)
    except ValueError:
        raise ConformanceError(f"{where}: expected a number, got {text!r}") from None


def parse_vector(text: str, name: str = "<vector>", path: str | None = None) -> Vector:
    """Parse the text of one ``.data`` file."""
    where = path or name
    sections: dict[str, str] = {}
    starts: dict[str, int] = {}
    comments: list[str] = []
    current: str | None = None
    body: list[str] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith("-- "):
            if current is not None:
                sections[current] = "\n".join(body) + ("\n" if body else "")
            current = line[3:].strip()
            if current in sections:
                raise ConformanceError(f"{where}:{lineno}: section -- {current} appears twice")
            starts[current] = lineno + 1
            body = []
        elif current is None:
            if line.startswith("#"):
                comments.append(line[1:].strip())
            elif line.strip():
                raise ConformanceError(f"{where}:{lineno}: text before the first '-- section' "
                                       f"line: {line.strip()!r}")
        else:
            body.append(line)
    if current is not None:
        sections[current] = "\n".join(body) + ("\n" if body else "")
    if "asm" not in sections:
        raise ConformanceError(f"{where}: no '-- asm' section")

    mem = b""
    if "mem" in sections:
        digits = "".join(_strip_comment(ln) for ln in sections["mem"].splitlines())
        try:
            mem = bytes.fromhex(digits)
        except ValueError:
            raise ConformanceError(f"{where}:{starts['mem']}: -- mem is not hex bytes") from None
    result = None
    if "result" in sections:
        values = [_strip_comment(ln) for ln in sections["result"].splitlines()]
        values = [v for v in values if v]
        if len(values) != 1:
            raise ConformanceError(f"{where}:{starts['result']}: -- result needs one number")
        result = _number(values[0], f"{where}:{starts['result']}: -- result") & ((1 << 64) - 1)
    raw = None
    if "raw" in sections:
        words = []
        for i, ln in enumerate(sections["raw"].splitlines()):
            word = _strip_comment(ln)
            if word:
                words.append(_number(word, f"{where}:{starts['raw'] + i}: -- raw") & ((1 << 64) - 1))
        raw = tuple(words)
    error = sections["error"].strip() if "error" in sections else None
    return Vector(name=name, asm=sections["asm"], asm_line=starts["asm"], mem=mem, result=result,
                  raw=raw, error=error, comments=tuple(comments), sections=sections, path=path)


def load_vector(path: str | Path) -> Vector:
    """Read and parse one ``.data`` file."""
    p = Path(path)
    return parse_vector(p.read_text(encoding="utf-8"), name=p.stem, path=str(p))


def load_vectors(directory: str | Path) -> Iterator[Vector]:
    """Every ``*.data`` vector of a directory, in name order."""
    for p in sorted(Path(directory).glob("*.data")):
        yield load_vector(p)
