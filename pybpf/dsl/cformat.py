"""C ``printf`` formats, as bpftrace's ``printf()`` prints them.

`CFormat` splits a format into literal text and conversions (``%[flags][width][.precision]
[length]conversion``). Each conversion formats one argument the way C's printf does with a
64-bit argument: without a length modifier ``%d %i %u %x %X %o %c`` see the low 32 bits
(``%u`` of -5 is 4294967291), ``%ld``/``%lld``/``%zu`` the whole 64 bits, ``%hd`` 16 bits,
``%hhd`` 8 bits; ``%s`` prints a string (or a number in decimal), ``%r`` the bytes of a
``buf()``, ``%p`` an address in hex.

>>> CFormat("%-6d|%5s|%x|%lu|%c|%%\\n").render([-5, "ab", -1, 123, 65])
'-5    |   ab|ffffffff|123|A|%\\n'
>>> CFormat("%u %llx %03d").render([-5, 255, 7])
'4294967291 ff 007'
>>> CFormat("%d %s").count
2
"""

from __future__ import annotations

from .._record import record
from ..errors import DslError

__all__ = ["CFormat", "Conversion"]

#: a conversion's pattern, compiled at the first printf (re is no import of a probe without one)
_SPEC_TEXT = (r"%(?P<flags>[-+ #0]*)(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?"
              r"(?P<length>hh|h|ll|l|z|j|t|L)?(?P<conv>[diouxXcspr%])")
_BITS = {None: 32, "hh": 8, "h": 16, "l": 64, "ll": 64, "z": 64, "j": 64, "t": 64, "L": 64}


@record(frozen=True)
class Conversion:
    """One ``%`` conversion: its Python equivalent and how many bits of the argument it sees."""

    text: str
    flags: str
    width: str
    prec: str
    length: str | None
    conv: str

    @property
    def is_string(self) -> bool:
        return self.conv == "s"

    def render(self, value: object) -> str:
        head = "%" + self.flags + self.width + (f".{self.prec}" if self.prec else "")
        conv = self.conv
        if conv in "sr":  # %r: a buf() (already escaped), printed as a string
            if isinstance(value, bytes):
                value = value.split(b"\0", 1)[0].decode(errors="replace")
            return (head + "s") % (value,)
        if conv == "p":
            return (head + "s") % (hex(int(value)),)  # type: ignore[call-overload]  # a number here (strings were handled above)
        if isinstance(value, (bytes, str)):
            raise DslError(f"printf: {self.text} takes a number, got a string")
        n = int(value)  # type: ignore[call-overload]  # a number here (strings were refused above)
        bits = _BITS[self.length]
        n &= (1 << bits) - 1
        if conv in "di":
            if n >> (bits - 1):
                n -= 1 << bits
            return (head + "d") % n
        if conv == "c":
            return (head + "c") % chr(n & 0xFF)
        if conv == "u":
            return (head + "d") % n
        return (head + conv) % n


class CFormat:
    """A parsed C format string; `render` formats a list of argument values."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.pieces: list[str | Conversion] = []
        pos = 0
        import re

        for m in re.finditer(_SPEC_TEXT, fmt):
            if m.start() > pos:
                self.pieces.append(fmt[pos:m.start()])
            if m.group("conv") == "%":
                self.pieces.append("%")
            else:
                if "*" in (m.group("width") or "") + (m.group("prec") or ""):
                    raise DslError(f"printf: {m.group(0)}: '*' widths are not supported")
                self.pieces.append(Conversion(m.group(0), m.group("flags"), m.group("width") or "",
                                              m.group("prec") or "", m.group("length"),
                                              m.group("conv")))
            pos = m.end()
        if pos < len(fmt):
            rest = fmt[pos:]
            if "%" in rest:
                bad = rest[rest.index("%"):][:4]
                raise DslError(f"printf: {bad!r} is not a conversion this printf knows "
                               "(%d %i %u %x %X %o %c %s %p, with flags, width, precision, "
                               "h/hh/l/ll)")
            self.pieces.append(rest)

    @property
    def conversions(self) -> list[Conversion]:
        return [p for p in self.pieces if isinstance(p, Conversion)]

    @property
    def count(self) -> int:
        return len(self.conversions)

    def render(self, values: list[object]) -> str:
        out = []
        it = iter(values)
        for p in self.pieces:
            out.append(p if isinstance(p, str) else p.render(next(it)))
        return "".join(out)
