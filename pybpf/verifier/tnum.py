"""Tracked numbers: what is known about each bit of a 64-bit value.

A `Tnum` is a pair ``(value, mask)``: a bit set in ``mask`` is unknown, every
other bit is known and equal to the same bit of ``value`` (``value & mask`` is
always 0). The set of integers a tnum stands for is every ``x`` with
``x & ~mask == value``. Arithmetic on tnums over-approximates: the result
contains every concrete result of the operation on members of the operands.

The operations follow the semantics of the Linux verifier's ``kernel/bpf/tnum.c``
(running kernel 6.18), written independently here; all values are unsigned
64-bit Python ints.

>>> t = Tnum.range(0, 7)
>>> t
Tnum(value=0x0, mask=0x7)
>>> t.add(Tnum.const(8))
Tnum(value=0x8, mask=0x7)
>>> 13 in t.add(Tnum.const(8)), 16 in t.add(Tnum.const(8))
(True, False)
>>> str(Tnum(0x10, 0xf))
'(0x10; 0xf)'
"""

from __future__ import annotations

from typing import NamedTuple

U64 = (1 << 64) - 1
U32 = (1 << 32) - 1
#: builds a `Tnum` from its two fields, without the generated ``__new__`` (the hot path)
_mk = tuple.__new__
_TOP32 = U64 ^ U32


def s64(v: int) -> int:
    """``v`` (any int) read as a signed 64-bit integer."""
    v &= U64
    return v - (1 << 64) if v >> 63 else v


def s32(v: int) -> int:
    """``v`` (any int) read as a signed 32-bit integer."""
    v &= U32
    return v - (1 << 32) if v >> 31 else v


def _swab(v: int, nbytes: int) -> int:
    return int.from_bytes((v & ((1 << (8 * nbytes)) - 1)).to_bytes(nbytes, "little"), "big")


class Tnum(NamedTuple):
    """A 64-bit tracked number (``value``, ``mask``), immutable and hashable.

    >>> Tnum.const(5).is_const
    True
    >>> Tnum.unknown().is_unknown
    True
    >>> Tnum(0b100, 0b011).contains(0b110)
    True
    """

    value: int
    mask: int

    # -- constructors ---------------------------------------------------------
    @staticmethod
    def const(value: int) -> Tnum:
        """The tnum of one known 64-bit value (``value`` is truncated to 64 bits)."""
        return _mk(Tnum, (value & U64, 0))

    @staticmethod
    def unknown() -> Tnum:
        """A completely unknown value."""
        return UNKNOWN

    @staticmethod
    def range(umin: int, umax: int) -> Tnum:
        """The smallest tnum holding every value of ``[umin, umax]`` (unsigned).

        Like the kernel it only looks at the highest differing bit, so the
        result is ``umin`` with every bit below that one unknown.

        >>> Tnum.range(4, 5)
        Tnum(value=0x4, mask=0x1)
        >>> Tnum.range(3, 4)
        Tnum(value=0x0, mask=0x7)
        """
        umin &= U64
        umax &= U64
        chi = umin ^ umax
        bits = chi.bit_length()
        if bits > 63:
            return UNKNOWN
        delta = (1 << bits) - 1
        return _mk(Tnum, (umin & ~delta & U64, delta))

    # -- predicates -----------------------------------------------------------
    @property
    def is_const(self) -> bool:
        """True when every bit is known."""
        return self.mask == 0

    @property
    def is_unknown(self) -> bool:
        """True when no bit is known."""
        return self.mask == U64

    @property
    def subreg_is_const(self) -> bool:
        """True when the low 32 bits are all known."""
        return not (self.mask & U32)

    def equals_const(self, value: int) -> bool:
        """True when this tnum is exactly the constant ``value``."""
        return self.mask == 0 and self.value == (value & U64)

    def contains(self, value: int) -> bool:
        """True when the concrete 64-bit ``value`` is a member."""
        return (value & U64 & ~self.mask) == self.value

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.contains(value)

    def is_valid(self) -> bool:
        """True when no bit is both known and unknown (``value & mask == 0``)."""
        return not (self.value & self.mask) and 0 <= self.value <= U64 and 0 <= self.mask <= U64

    def includes(self, other: Tnum) -> bool:
        """True when every member of ``other`` is a member of ``self`` (kernel ``tnum_in``).

        >>> Tnum(0, 0xff).includes(Tnum(0x10, 0xf))
        True
        """
        if other.mask & ~self.mask:
            return False
        return self.value == other.value & ~self.mask

    def is_aligned(self, size: int) -> bool:
        """True when every member is a multiple of ``size`` (a power of two; 0 means any)."""
        if not size:
            return True
        return not ((self.value | self.mask) & (size - 1))

    def overlaps(self, other: Tnum) -> bool:
        """True when the known bits the two share agree (they may have a common member).

        >>> Tnum(0b10, 0b01).overlaps(Tnum(0b00, 0b01))
        False
        """
        mu = ~self.mask & ~other.mask
        return (self.value & mu) == (other.value & mu)

    @property
    def umin(self) -> int:
        """The smallest member as unsigned."""
        return self.value

    @property
    def umax(self) -> int:
        """The largest member as unsigned."""
        return self.value | self.mask

    # -- shifts ---------------------------------------------------------------
    def lshift(self, shift: int) -> Tnum:
        """Left shift by a known amount (bits shifted past bit 63 are dropped)."""
        return _mk(Tnum, ((self.value << shift) & U64, (self.mask << shift) & U64))

    def rshift(self, shift: int) -> Tnum:
        """Logical right shift by a known amount."""
        return _mk(Tnum, (self.value >> shift, self.mask >> shift))

    def arshift(self, min_shift: int, bits: int = 64) -> Tnum:
        """Arithmetic right shift by ``min_shift`` in a ``bits``-wide (32 or 64) register.

        For a 32-bit shift the result is zero-extended into 64 bits.

        >>> Tnum.const(0x80000000).arshift(4, 32)
        Tnum(value=0xf8000000, mask=0x0)
        """
        if bits == 32:
            return _mk(Tnum, ((s32(self.value) >> min_shift) & U32, (s32(self.mask) >> min_shift) & U32))
        return _mk(Tnum, ((s64(self.value) >> min_shift) & U64, (s64(self.mask) >> min_shift) & U64))

    # -- arithmetic -----------------------------------------------------------
    def add(self, other: Tnum) -> Tnum:
        """Sum (modulo 2**64)."""
        sm = self.mask + other.mask
        sv = self.value + other.value
        sigma = sm + sv
        mu = ((sigma ^ sv) | self.mask | other.mask) & U64
        return _mk(Tnum, (sv & ~mu & U64, mu))

    def sub(self, other: Tnum) -> Tnum:
        """Difference (modulo 2**64)."""
        dv = (self.value - other.value) & U64
        alpha = dv + self.mask
        beta = dv - other.mask
        mu = ((alpha ^ beta) | self.mask | other.mask) & U64
        return _mk(Tnum, (dv & ~mu, mu))

    def neg(self) -> Tnum:
        """Two's complement negation."""
        return ZERO.sub(self)

    def and_(self, other: Tnum) -> Tnum:
        """Bitwise and."""
        alpha = self.value | self.mask
        beta = other.value | other.mask
        v = self.value & other.value
        return _mk(Tnum, (v, alpha & beta & ~v))

    def or_(self, other: Tnum) -> Tnum:
        """Bitwise or."""
        v = self.value | other.value
        return _mk(Tnum, (v, (self.mask | other.mask) & ~v))

    def xor(self, other: Tnum) -> Tnum:
        """Bitwise exclusive or."""
        mu = self.mask | other.mask
        return _mk(Tnum, ((self.value ^ other.value) & ~mu, mu))

    def mul(self, other: Tnum) -> Tnum:
        """Product (modulo 2**64), by long multiplication over the bits of ``self``.

        A known 1 bit adds the shifted ``other``; an unknown bit takes the
        union of adding and not adding it.

        >>> Tnum.const(3).mul(Tnum(1, 2))
        Tnum(value=0x1, mask=0xe)
        """
        a_v, a_m = self.value, self.mask
        b = other
        if not a_m and not b.mask:  # two constants: the exact product (what the loop yields)
            return _mk(Tnum, ((a_v * b.value) & U64, 0))
        acc = ZERO
        while a_v or a_m:
            if a_v & 1:
                acc = acc.add(b)
            elif a_m & 1:
                acc = acc.union(acc.add(b))
            a_v >>= 1
            a_m >>= 1
            b = _mk(Tnum, ((b.value << 1) & U64, (b.mask << 1) & U64))
        return acc

    # -- set operations -------------------------------------------------------
    def intersect(self, other: Tnum) -> Tnum:
        """Values satisfying both (a bit known 1 in one and 0 in the other comes out 1)."""
        v = self.value | other.value
        mu = self.mask & other.mask
        return _mk(Tnum, (v & ~mu, mu))

    def union(self, other: Tnum) -> Tnum:
        """The smallest tnum holding the members of both."""
        v = self.value & other.value
        mu = (self.value ^ other.value) | self.mask | other.mask
        return _mk(Tnum, (v & ~mu, mu))

    # -- widths ---------------------------------------------------------------
    def cast(self, size: int) -> Tnum:
        """Keep the low ``size`` bytes (zero the rest)."""
        m = (1 << (size * 8)) - 1
        return _mk(Tnum, (self.value & m, self.mask & m))

    def subreg(self) -> Tnum:
        """The low 32 bits (the 32-bit subregister), zero-extended."""
        return _mk(Tnum, (self.value & U32, self.mask & U32))

    def clear_subreg(self) -> Tnum:
        """The upper 32 bits only (low 32 bits known zero)."""
        return _mk(Tnum, (self.value & _TOP32, self.mask & _TOP32))

    def with_subreg(self, subreg: Tnum) -> Tnum:
        """Upper 32 bits of ``self`` with the low 32 bits of ``subreg``."""
        return _mk(Tnum, ((self.value & _TOP32) | (subreg.value & U32),
                    (self.mask & _TOP32) | (subreg.mask & U32)))

    def const_subreg(self, value: int) -> Tnum:
        """Upper 32 bits of ``self`` with the low 32 bits known to be ``value``."""
        return _mk(Tnum, ((self.value & _TOP32) | (value & U32), self.mask & _TOP32))

    def sext(self, size: int) -> Tnum:
        """Sign-extend the low ``size`` bytes (1, 2, 4) to 64 bits.

        A known sign bit fills the upper bits with it; an unknown one makes them unknown.

        >>> Tnum.const(0x80).sext(1)
        Tnum(value=0xffffffffffffff80, mask=0x0)
        >>> Tnum(0, 0x80).sext(1)
        Tnum(value=0x0, mask=0xffffffffffffff80)
        """
        bits = size * 8
        low = (1 << bits) - 1
        high = U64 ^ low
        sign = 1 << (bits - 1)
        v, m = self.value & low, self.mask & low
        if m & sign:
            return _mk(Tnum, (v, m | high))
        if v & sign:
            return _mk(Tnum, (v | high, m))
        return _mk(Tnum, (v, m))

    def sext32(self, size: int) -> Tnum:
        """Sign-extend the low ``size`` bytes (1, 2) to 32 bits, zero-extended to 64."""
        return self.sext(size).subreg()

    def bswap(self, bits: int) -> Tnum:
        """Reverse the bytes of the low ``bits`` (16, 32, 64); upper bits become 0.

        >>> Tnum(0x100, 0xf0).bswap(16)
        Tnum(value=0x1, mask=0xf000)
        """
        n = bits // 8
        return _mk(Tnum, (_swab(self.value, n), _swab(self.mask, n)))

    def step(self, z: int) -> int:
        """The smallest member greater than ``z``; the largest member if none is
        (kernel ``tnum_step``). For ``z`` below the smallest member: the smallest member.

        >>> Tnum(0, 0x101).step(2)
        256
        """
        tmax = self.value | self.mask
        if z >= tmax:
            return tmax
        if z < self.value:
            return self.value
        d = z - self.value
        carry = (1 << (d & ~self.mask).bit_length()) - 1
        filled = (d | carry | (~self.mask & U64)) & U64
        inc = (filled + 1) & self.mask
        return self.value | inc

    # -- display --------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Tnum(value={self.value:#x}, mask={self.mask:#x})"

    def __str__(self) -> str:
        return f"({self.value:#x}; {self.mask:#x})"

    def fmt(self) -> str:
        """The kernel's ``tnum_strn``: a known constant as a number (decimal when
        small), else ``(value; mask)``.

        >>> Tnum.const(8).fmt(), Tnum.const(1 << 40).fmt(), Tnum(0, 7).fmt()
        ('8', '0x10000000000', '(0x0; 0x7)')
        """
        if self.mask == 0:
            v = self.value
            if v <= 0xFFFF:
                return str(v)
            if v >> 63 and v - (1 << 64) >= -0x8000:
                return str(v - (1 << 64))
            return f"{v:#x}"
        return str(self)

    def sbin(self) -> str:
        """The 64 bits as ``0``/``1``/``x`` characters, most significant first."""
        return "".join("x" if (self.mask >> i) & 1 else str((self.value >> i) & 1)
                       for i in range(63, -1, -1))

    def members(self, limit: int = 1 << 16) -> list[int]:
        """Every member in increasing order (at most ``limit``; raises ValueError beyond)."""
        n = bin(self.mask).count("1")
        if (1 << n) > limit:
            raise ValueError(f"tnum {self} has 2**{n} members, more than {limit}")
        bits = [1 << i for i in range(64) if (self.mask >> i) & 1]
        out = []
        for k in range(1 << n):
            x = self.value
            for j, b in enumerate(bits):
                if (k >> j) & 1:
                    x |= b
            out.append(x)
        return sorted(out)


UNKNOWN = Tnum(0, U64)
ZERO = Tnum(0, 0)
