"""The C preprocessor lines of a bpftrace script, as far as scripts use them.

pybpf reads kernel types from the running kernel's BTF, so:

- ``#include`` lines are dropped (the types they would declare come from BTF);
- ``#ifdef BPFTRACE_HAVE_BTF`` keeps its branch, ``#ifndef BPFTRACE_HAVE_BTF`` drops it (the
  tools declare structs by hand there for kernels without BTF); other conditions test the
  script's own ``#define``s;
- ``#define NAME value`` defines an object-like macro, replaced where ``NAME`` is used.

Dropped lines become empty lines, so line numbers stay those of the script.

>>> text, macros = preprocess("#include <linux/sched.h>\\n#ifndef BPFTRACE_HAVE_BTF\\nstruct x {};\\n"
...                           "#endif\\n#define LIMIT 10\\nBEGIN { }\\n")
>>> text.splitlines(), macros
(['', '', '', '', '', 'BEGIN { }'], {'LIMIT': '10'})
"""

from __future__ import annotations

import re

from ..errors import ScriptError

__all__ = ["preprocess"]

_DIRECTIVE = re.compile(r"^\s*#\s*(\w+)\s*(.*?)\s*$")
_PREDEFINED = {"BPFTRACE_HAVE_BTF": "1"}


def preprocess(text: str, filename: str = "<program>") -> tuple[str, dict[str, str]]:
    """(text with directives blanked, the macros the script defines)."""
    macros: dict[str, str] = {}
    stack: list[tuple[bool, bool, int]] = []  # (this branch on, some branch taken, line)
    out = []
    lines = text.split("\n")
    in_comment = False
    for number, line in enumerate(lines, 1):
        if number == 1 and line.startswith("#!"):
            out.append("")
            continue
        m = None if in_comment else _DIRECTIVE.match(line)
        in_comment = _ends_in_comment(line, in_comment)
        active = all(on for on, _, _ in stack)
        if m is None:
            out.append(line if active else "")
            continue
        word, rest = m.group(1), m.group(2)
        defined = {**_PREDEFINED, **macros}
        if word in ("ifdef", "ifndef"):
            on = (rest in defined) == (word == "ifdef")
            stack.append((on, on, number))
        elif word == "if":
            on = _truth(rest, defined)
            stack.append((on, on, number))
        elif word in ("else", "elif"):
            if not stack:
                raise _error(f"#{word} without #if", filename, number, line)
            _, taken, start = stack.pop()
            on = not taken and (word == "else" or _truth(rest, defined))
            stack.append((on, taken or on, start))
        elif word == "endif":
            if not stack:
                raise _error("#endif without #if", filename, number, line)
            stack.pop()
        elif not active or word == "include":
            pass
        elif word == "define":
            name, _, value = rest.partition(" ")
            if "(" in name:
                raise _error("function-like macros are not supported", filename, number, line)
            macros[name] = value.strip() or "1"
        elif word == "undef":
            macros.pop(rest, None)
        else:
            raise _error(f"unknown preprocessor directive #{word}", filename, number, line)
        out.append("")
    if stack:
        raise _error("#if without #endif", filename, stack[-1][2], lines[stack[-1][2] - 1])
    return "\n".join(out), macros


def _ends_in_comment(line: str, inside: bool) -> bool:
    """Whether a ``/* */`` comment is still open at the end of ``line``."""
    i = 0
    while i < len(line):
        if inside:
            end = line.find("*/", i)
            if end < 0:
                return True
            inside, i = False, end + 2
        else:
            nxt = [p for p in (line.find("/*", i), line.find("//", i), line.find('"', i)) if p >= 0]
            if not nxt:
                return False
            j = min(nxt)
            if line.startswith("//", j):
                return False
            if line[j] == '"':
                close = line.find('"', j + 1)
                while close > 0 and line[close - 1] == "\\":
                    close = line.find('"', close + 1)
                if close < 0:
                    return False
                i = close + 1
                continue
            inside, i = True, j + 2
    return inside


def _truth(expr: str, defined: dict[str, str]) -> bool:
    expr = re.sub(r"defined\s*\(?\s*(\w+)\s*\)?", lambda m: "1" if m.group(1) in defined else "0",
                  expr)
    expr = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: defined.get(m.group(0), "0"), expr)
    expr = re.sub(r"!(?!=)", " not ", expr.replace("&&", " and ").replace("||", " or "))
    try:
        return bool(eval(expr, {"__builtins__": {}}))  # noqa: S307 - digits and operators only
    except Exception:  # noqa: BLE001
        return False


def _error(message: str, filename: str, line: int, source: str) -> ScriptError:
    return ScriptError(message, filename=filename, line=line, column=1, source=source)
