"""Source lines of probes, for line info and errors, without importing `linecache` (which
imports `tokenize`, whose import is a few milliseconds of every ``pybpf trace``'s start).

A program given as text (``pybpf trace -e``) is `register`-ed; a file is read once (and again
when it changes); anything else (a doctest, a zip import) goes to `linecache`, and so does
every look-up once `linecache` is imported anyway (a test run, a traceback).

>>> register("<example>", "BEGIN {\\n  exit();\\n}\\n")
>>> getline("<example>", 2), getline("<example>", 9)
('  exit();\\n', '')
"""

from __future__ import annotations

import os
import sys

__all__ = ["getline", "getlines", "register"]

_TEXTS: dict[str, list[str]] = {}
_FILES: dict[str, tuple[tuple[int, int], list[str]]] = {}


def register(filename: str, text: str) -> None:
    """``text`` is the source of ``filename`` (a name such as ``<program>``)."""
    lines = text.splitlines(True)
    _TEXTS[filename] = lines
    linecache = sys.modules.get("linecache")
    if linecache is not None:
        linecache.cache[filename] = (len(text), None, lines, filename)


def getlines(filename: str, module_globals: dict[str, object] | None = None) -> list[str]:
    """Every line of ``filename`` (an empty list when it cannot be read)."""
    text = _TEXTS.get(filename)
    if text is not None:
        return text
    linecache = sys.modules.get("linecache")
    if linecache is None and not filename.startswith("<"):
        try:
            st = os.stat(filename)
            stamp = (st.st_mtime_ns, st.st_size)
            cached = _FILES.get(filename)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            with open(filename, encoding="utf-8") as f:
                lines = f.read().splitlines(True)
            _FILES[filename] = (stamp, lines)
            return lines
        except (OSError, UnicodeDecodeError):
            pass
    import linecache as loaded

    return loaded.getlines(filename, module_globals)


def getline(filename: str, lineno: int) -> str:
    """Line ``lineno`` (from 1) of ``filename``, with its newline; ``""`` when there is none."""
    lines = getlines(filename)
    return lines[lineno - 1] if 1 <= lineno <= len(lines) else ""
