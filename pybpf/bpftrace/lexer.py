"""Tokens of bpftrace's language, with their line and column.

Kinds: ``int`` (decimal, hex, octal, ``1e6``, ``1_000``), ``str`` (C escapes decoded),
``ident``, ``var`` (``$name``), ``param`` (``$1``, ``$#``), ``map`` (``@name`` or ``@``),
``op`` (punctuation), ``eof``. Comments (``//``, ``/* */``) are skipped. Attach points are
read raw by the parser (`Lexer.attach_point`): their text (``uprobe:/bin/bash:readline``,
``tracepoint:sched:sched*``) is not made of expression tokens.

>>> [(t.kind, t.text) for t in Lexer('@x[$p] += 1e3; // c').tokens()][:6]
[('map', 'x'), ('op', '['), ('var', 'p'), ('op', ']'), ('op', '+='), ('int', '1000')]
>>> Lexer('"a\\\\tb\\\\n"').next().value
'a\\tb\\n'
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .._record import record
from ..errors import ScriptError

__all__ = ["Lexer", "Token"]

_OPS = sorted(["<<=", ">>=", "->", "++", "--", "&&", "||", "==", "!=", "<=", ">=", "<<", ">>",
               "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "+", "-", "*", "/", "%", "&", "|",
               "^", "!", "~", "<", ">", "=", "?", ":", ";", ",", ".", "(", ")", "[", "]", "{", "}"],
              key=len, reverse=True)
_INT = re.compile(r"(0[xX][0-9a-fA-F_]+|\d[\d_]*(?:[eE]\d+)?)[uUlL]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0",
            "a": "\a", "b": "\b", "f": "\f", "v": "\v", "e": "\x1b"}


@record(frozen=True)
class Token:
    kind: str
    text: str
    line: int
    col: int  # 1-based
    value: int | str | bytes | None = None  # an int literal's value, a string literal's text


class Lexer:
    """A cursor over a script's text (see the module doc)."""

    def __init__(self, text: str, filename: str = "<program>") -> None:
        self.text = text
        self.filename = filename
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self._peeked: Token | None = None

    # -- positions and errors ----------------------------------------------------------------
    def error(self, message: str, line: int | None = None, col: int | None = None) -> ScriptError:
        line = self.line if line is None else line
        col = self.pos - self.line_start + 1 if col is None else col
        lines = self.text.split("\n")
        source = lines[line - 1] if 0 < line <= len(lines) else None
        return ScriptError(message, filename=self.filename, line=line, column=col, source=source)

    def _advance(self, n: int) -> None:
        chunk = self.text[self.pos:self.pos + n]
        nl = chunk.count("\n")
        if nl:
            self.line += nl
            self.line_start = self.pos + chunk.rindex("\n") + 1
        self.pos += n

    def skip_space(self) -> None:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in " \t\r\n":
                self._advance(1)
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self._advance((end if end >= 0 else len(text)) - self.pos)
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.error("unterminated /* comment")
                self._advance(end + 2 - self.pos)
            else:
                return

    # -- tokens ------------------------------------------------------------------------------
    def peek(self) -> Token:
        if self._peeked is None:
            self._peeked = self._scan()
        return self._peeked

    def next(self) -> Token:
        tok = self.peek()
        self._peeked = None
        return tok

    def tokens(self) -> Iterator[Token]:
        while True:
            tok = self.next()
            yield tok
            if tok.kind == "eof":
                return

    def rest_of_line_starts_with(self, s: str) -> bool:
        """Whether, after spaces (not newlines), the text continues with ``s``."""
        i = self.pos
        while i < len(self.text) and self.text[i] in " \t":
            i += 1
        return self.text.startswith(s, i)

    def _scan(self) -> Token:
        self.skip_space()
        text, pos = self.text, self.pos
        line, col = self.line, pos - self.line_start + 1
        if pos >= len(text):
            return Token("eof", "", line, col)
        ch = text[pos]
        if ch == '"':
            return self._string(line, col)
        if ch.isdigit():
            m = _INT.match(text, pos)
            assert m is not None
            raw = m.group(1).replace("_", "")
            if "e" in raw.lower() and not raw.lower().startswith("0x"):
                mant, _, exp = raw.lower().partition("e")
                value = int(mant) * 10 ** int(exp)
            elif raw.lower().startswith("0x"):
                value = int(raw, 16)
            elif len(raw) > 1 and raw.startswith("0"):
                value = int(raw, 8)
            else:
                value = int(raw)
            self._advance(m.end() - pos)
            return Token("int", str(value), line, col, value)
        if ch == "$":
            m = _IDENT.match(text, pos + 1)
            if m:
                self._advance(m.end() - pos)
                return Token("var", m.group(0), line, col)
            m2 = re.compile(r"\d+|#").match(text, pos + 1)
            if m2:
                self._advance(m2.end() - pos)
                return Token("param", m2.group(0), line, col)
            raise self.error("$ must start a variable ($name) or a parameter ($1)")
        if ch == "@":
            m = _IDENT.match(text, pos + 1)
            name = m.group(0) if m else ""
            self._advance(1 + len(name))
            return Token("map", name, line, col)
        m = _IDENT.match(text, pos)
        if m:
            self._advance(m.end() - pos)
            return Token("ident", m.group(0), line, col)
        for op in _OPS:
            if text.startswith(op, pos):
                self._advance(len(op))
                return Token("op", op, line, col)
        raise self.error(f"unexpected character {ch!r}")

    def _string(self, line: int, col: int) -> Token:
        text = self.text
        i = self.pos + 1
        out: list[str | bytes] = []
        while i < len(text) and text[i] != '"':
            ch = text[i]
            if ch == "\n":
                raise self.error("unterminated string", line, col)
            if ch == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                if nxt == "x" and re.match(r"[0-9a-fA-F]{1,2}", text[i + 2:i + 4]):
                    h = re.match(r"[0-9a-fA-F]{1,2}", text[i + 2:i + 4]).group(0)  # type: ignore[union-attr]  # a hex digit was seen
                    out.append(bytes([int(h, 16)]))
                    i += 2 + len(h)
                    continue
                if nxt in "01234567" and re.match(r"[0-7]{1,3}", text[i + 1:i + 4]):
                    o = re.match(r"[0-7]{1,3}", text[i + 1:i + 4]).group(0)  # type: ignore[union-attr]  # an octal digit was seen
                    out.append(bytes([int(o, 8) & 0xFF]))
                    i += 1 + len(o)
                    continue
                out.append(_ESCAPES.get(nxt, nxt))
                i += 2
                continue
            out.append(ch)
            i += 1
        if i >= len(text):
            raise self.error("unterminated string", line, col)
        raw = text[self.pos:i + 1]
        self._advance(i + 1 - self.pos)
        data = b"".join(p if isinstance(p, bytes) else p.encode() for p in out)
        try:  # C strings are bytes: "\xff" is one byte 0xff, kept as bytes when not UTF-8
            value: str | bytes = data.decode()
        except UnicodeDecodeError:
            value = data
        return Token("str", raw, line, col, value)

    def attach_point(self) -> Token:
        """The raw text of one attach point (up to a space, ``,`` or ``{``)."""
        self._peeked = None
        self.skip_space()
        line, col = self.line, self.pos - self.line_start + 1
        i = self.pos
        text = self.text
        while i < len(text) and text[i] not in " \t\r\n,{" and not text.startswith("//", i):
            i += 1
        raw = text[self.pos:i]
        if not raw:
            raise self.error("expected an attach point (tracepoint:category:name, BEGIN, ...)")
        self._advance(i - self.pos)
        return Token("attach", raw, line, col)
