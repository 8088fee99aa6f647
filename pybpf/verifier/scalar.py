"""The scalar abstract value: a tnum plus eight bounds, with the kernel's transfer functions.

A `Scalar` describes the set of 64-bit values a scalar register may hold, the
way the Linux verifier's ``struct bpf_reg_state`` does for ``SCALAR_VALUE``:

- ``var_off``: a `Tnum` (known bits),
- ``smin``/``smax`` (signed 64-bit), ``umin``/``umax`` (unsigned 64-bit),
- ``s32_min``/``s32_max`` and ``u32_min``/``u32_max`` for the low 32 bits.

A concrete value belongs to the scalar when it satisfies all nine facts
(`Scalar.contains`). Every operation returns a new `Scalar` (the public API
never mutates; the fields are plain ints so a copy is cheap), and follows the
semantics of the running kernel (6.18) ``kernel/bpf/verifier.c``:
``adjust_scalar_min_max_vals`` and the ``scalar*_min_max_*`` functions for ALU
operations, ``reg_bounds_sync`` (``__update_reg_bounds``, ``__reg_deduce_bounds``,
``__reg_bound_offset``) after each, and ``is_scalar_branch_taken`` /
``regs_refine_cond_op`` / ``reg_set_min_max`` for conditional jumps
(see `pybpf.verifier.scalar_branch`). This is an independent Python rendering of those
semantics, checked for soundness by property tests and for precision against
the live kernel's log.

>>> from pybpf.isa import AluOp
>>> x = Scalar.unknown().alu(AluOp.AND, Scalar.const(0xff))
>>> str(x)
'scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))'
>>> str(x.alu(AluOp.ADD, Scalar.const(1)))
'scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=256,var_off=(0x0; 0x1ff))'
>>> 256 in x.alu(AluOp.ADD, Scalar.const(1)), 0 in x.alu(AluOp.ADD, Scalar.const(1))
(True, False)
"""

from __future__ import annotations

from typing import Any

from ..isa.opcodes import AluOp
from .bounds import (
    S32_MAX,
    S32_MIN,
    S64_MAX,
    S64_MIN,
    coerce_subreg_to_size_sx,
    coerce_to_size,
    coerce_to_size_sx,
    zext_32_to_64,
)
from .bounds import RESULTS as _RESULTS
from .bounds import RESULTS_MAX as _RESULTS_MAX
from .bounds import sync as bounds_sync
from .scalar_alu import add_fake_const, alu_binary, alu_end, alu_neg
from .tnum import U32, U64, UNKNOWN, Tnum, s32, s64

#: Numbers the kernel log prints in decimal (others in hex): unsigned up to
#: U16_MAX, signed within the s16 range.
#: builds a `Tnum` without its generated ``__new__``
_tuple_new = tuple.__new__
#: makes a `Scalar` without calling ``__init__`` (`Scalar.copy` sets every field)
_object_new = object.__new__
#: `Scalar.const`'s scalars by value (emptied past `_MAX_CONSTS`)
_CONSTS: dict[int, Scalar] = {}
_MAX_CONSTS = 4096
_UDEC_MAX = 0xFFFF
_DEC_MAX = 0x7FFF
_DEC_MIN = -0x8000


def fmt_unum(v: int) -> str:
    """An unsigned number the way the verifier log prints it (small: decimal, else hex)."""
    return str(v) if v <= _UDEC_MAX else f"{v:#x}"


def fmt_snum(v: int) -> str:
    """A signed 64-bit number the way the verifier log prints it."""
    if _DEC_MIN <= v <= _DEC_MAX:
        return str(v)
    return f"{v & U64:#x}"


class Scalar:
    """A set of 64-bit values: `Tnum` and signed/unsigned 64- and 32-bit bounds.

    Treat instances as immutable values: every public method returns a new
    `Scalar`. Construct with `unknown`, `const`, `from_range`, `from_tnum` or
    `make` (which synchronises the bounds like the kernel).

    >>> s = Scalar.from_range(10, 20)
    >>> s.umin, s.umax, s.s32_min, s.var_off
    (10, 20, 10, Tnum(value=0x0, mask=0x1f))
    >>> 15 in s, 21 in s
    (True, False)
    """

    __slots__ = ("var_off", "smin", "smax", "umin", "umax", "s32_min", "s32_max", "u32_min", "u32_max")

    var_off: Tnum
    smin: int
    smax: int
    umin: int
    umax: int
    s32_min: int
    s32_max: int
    u32_min: int
    u32_max: int

    def __init__(self, var_off: Tnum = UNKNOWN, smin: int = S64_MIN, smax: int = S64_MAX,
                 umin: int = 0, umax: int = U64, s32_min: int = S32_MIN, s32_max: int = S32_MAX,
                 u32_min: int = 0, u32_max: int = U32) -> None:
        """Set the nine fields as given, without synchronisation (see `make`)."""
        self.var_off = var_off
        self.smin = smin
        self.smax = smax
        self.umin = umin
        self.umax = umax
        self.s32_min = s32_min
        self.s32_max = s32_max
        self.u32_min = u32_min
        self.u32_max = u32_max

    # -- constructors ---------------------------------------------------------
    @staticmethod
    def unknown() -> Scalar:
        """Any 64-bit value."""
        return Scalar()

    @staticmethod
    def const(value: int) -> Scalar:
        """Exactly ``value`` (taken modulo 2**64): the fields `mark_known` sets, built at once.
        One value is one shared `Scalar` (scalars are values, never changed in place)."""
        s = _CONSTS.get(value)
        if s is not None:
            return s
        v = value & U64
        lo = v & U32
        s64v = v - (1 << 64) if v >> 63 else v
        s32v = lo - (1 << 32) if lo >> 31 else lo
        s = Scalar(_tuple_new(Tnum, (v, 0)), s64v, s64v, v, v, s32v, s32v, lo, lo)
        if len(_CONSTS) >= _MAX_CONSTS:
            _CONSTS.clear()
        _CONSTS[value] = s
        return s

    @staticmethod
    def make(var_off: Tnum = UNKNOWN, smin: int = S64_MIN, smax: int = S64_MAX,
             umin: int = 0, umax: int = U64, s32_min: int = S32_MIN, s32_max: int = S32_MAX,
             u32_min: int = 0, u32_max: int = U32) -> Scalar:
        """A scalar from the given facts, synchronised as the kernel does (`reg_bounds_sync`)."""
        s = Scalar(var_off, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max)
        bounds_sync(s)
        return s

    @staticmethod
    def from_range(lo: int, hi: int, *, signed: bool = False) -> Scalar:
        """Values in ``[lo, hi]`` (unsigned, or signed with ``signed=True``), synchronised."""
        if signed:
            return Scalar.make(smin=lo, smax=hi)
        return Scalar.make(umin=lo & U64, umax=hi & U64)

    @staticmethod
    def from_tnum(t: Tnum) -> Scalar:
        """Values matching the tnum ``t``, bounds derived from it."""
        return Scalar.make(var_off=t)

    def copy(self) -> Scalar:
        """A field-for-field copy (made without `__init__`'s call: the commonest allocation
        of the transfer functions)."""
        s = _object_new(Scalar)
        s.var_off = self.var_off
        s.smin = self.smin
        s.smax = self.smax
        s.umin = self.umin
        s.umax = self.umax
        s.s32_min = self.s32_min
        s.s32_max = self.s32_max
        s.u32_min = self.u32_min
        s.u32_max = self.u32_max
        return s

    # -- queries --------------------------------------------------------------
    @property
    def is_const(self) -> bool:
        """True when the tnum is a known constant (the kernel's ``tnum_is_const``)."""
        return self.var_off.mask == 0

    @property
    def value(self) -> int:
        """The known value (meaningful when `is_const`)."""
        return self.var_off.value

    def signed_value(self) -> int:
        """The known value read as a signed 64-bit number (meaningful when `is_const`)."""
        v = self.var_off.value
        return v - (1 << 64) if v >> 63 else v

    @property
    def is_unbounded(self) -> bool:
        """True when nothing is known (the kernel's ``__is_scalar_unbounded``)."""
        return (self.var_off.mask == U64 and self.smin == S64_MIN and self.smax == S64_MAX
                and self.umin == 0 and self.umax == U64 and self.s32_min == S32_MIN
                and self.s32_max == S32_MAX and self.u32_min == 0 and self.u32_max == U32)

    def is_const_width(self, jmp32: bool) -> bool:
        """The kernel's ``is_reg_const``: the 64-bit (or low 32-bit) value is known."""
        return not (self.var_off.mask & U32) if jmp32 else self.var_off.mask == 0

    def const_value(self, jmp32: bool) -> int:
        """The kernel's ``reg_const_value``."""
        return self.var_off.value & U32 if jmp32 else self.var_off.value

    def contains(self, value: int) -> bool:
        """True when the concrete 64-bit ``value`` satisfies every fact.

        >>> Scalar.from_range(0, 7).contains(7), Scalar.from_range(0, 7).contains(8)
        (True, False)
        """
        u = value & U64
        s = u - (1 << 64) if u >> 63 else u
        lo = u & U32
        s32 = lo - (1 << 32) if lo >> 31 else lo
        return ((u & ~self.var_off.mask) == self.var_off.value
                and self.umin <= u <= self.umax and self.smin <= s <= self.smax
                and self.u32_min <= lo <= self.u32_max and self.s32_min <= s32 <= self.s32_max)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.contains(value)

    def is_well_formed(self) -> bool:
        """True when the bounds are ordered and in range (the state may still be empty)."""
        return (S64_MIN <= self.smin <= self.smax <= S64_MAX and 0 <= self.umin <= self.umax <= U64
                and S32_MIN <= self.s32_min <= self.s32_max <= S32_MAX
                and 0 <= self.u32_min <= self.u32_max <= U32 and self.var_off.is_valid())

    def sanity_problem(self) -> str | None:
        """What the kernel's ``reg_bounds_sanity_check`` would report, or None."""
        if (self.umin > self.umax or self.smin > self.smax or self.u32_min > self.u32_max
                or self.s32_min > self.s32_max):
            return "range bounds violation"
        if self.var_off.mask == 0:
            u = self.var_off.value
            if self.umin != u or self.umax != u or self.smin != s64(u) or self.smax != s64(u):
                return "const tnum out of sync with range bounds"
        if not (self.var_off.mask & U32):
            u = self.var_off.value & U32
            if (self.u32_min != u or self.u32_max != u or self.s32_min != s32(u)
                    or self.s32_max != s32(u)):
                return "const subreg tnum out of sync with range bounds"
        return None

    def sanitized(self) -> Scalar:
        """The kernel's reaction to an invariant violation: bounds forgotten, tnum kept."""
        # `sanity_problem`'s three tests on locals, for the common answer (None)
        umin, umax, u32_min, u32_max = self.umin, self.umax, self.u32_min, self.u32_max
        if umin <= umax and self.smin <= self.smax and u32_min <= u32_max and \
                self.s32_min <= self.s32_max:
            vo = self.var_off
            m = vo.mask
            if m & U32:
                return self
            lo = vo.value & U32
            slo = lo - (1 << 32) if lo >> 31 else lo
            if u32_min == lo == u32_max and self.s32_min == slo == self.s32_max:
                if m:
                    return self
                u = vo.value
                su = s64(u)
                if umin == u == umax and self.smin == su == self.smax:
                    return self
        if self.sanity_problem() is None:
            return self
        return Scalar(self.var_off)

    def subsumes(self, other: Scalar) -> bool:
        """True when every value of ``other`` is in ``self`` by the kernel's state-pruning
        test (``range_within`` and ``tnum_in``).

        >>> Scalar.from_range(0, 10).subsumes(Scalar.from_range(2, 3))
        True
        """
        return (self.umin <= other.umin and self.umax >= other.umax and self.smin <= other.smin
                and self.smax >= other.smax and self.u32_min <= other.u32_min
                and self.u32_max >= other.u32_max and self.s32_min <= other.s32_min
                and self.s32_max >= other.s32_max and self.var_off.includes(other.var_off))

    def key(self) -> tuple[int, ...]:
        """The nine fields as a tuple (for hashing and comparison)."""
        return (self.var_off.value, self.var_off.mask, self.smin, self.smax, self.umin, self.umax,
                self.s32_min, self.s32_max, self.u32_min, self.u32_max)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not Scalar:
            return False
        return (self.var_off == other.var_off and self.smin == other.smin
                and self.smax == other.smax and self.umin == other.umin
                and self.umax == other.umax and self.s32_min == other.s32_min
                and self.s32_max == other.s32_max and self.u32_min == other.u32_min
                and self.u32_max == other.u32_max)

    def __hash__(self) -> int:
        return hash(self.key())

    # -- operations (each returns a new Scalar) -------------------------------
    def alu(self, op: AluOp | int, src: Scalar, *, alu64: bool = True, off: int = 0) -> Scalar:
        """``self op= src`` for a binary ALU op (ADD..ARSH except MOV/NEG/END).

        ``off=1`` selects signed DIV/MOD. Follows ``adjust_scalar_min_max_vals``:
        an operation the kernel cannot bound (division, modulo, a shift by a
        non-constant or out-of-range amount) yields an unknown value.

        >>> from pybpf.isa import AluOp
        >>> Scalar.const(6).alu(AluOp.MUL, Scalar.const(7)).value
        42
        """
        return alu_binary(self, int(op), src, alu64)

    def neg(self, *, alu64: bool = True) -> Scalar:
        """``-self`` (NEG), 64- or 32-bit."""
        return alu_neg(self, alu64)

    def end(self, bits: int, *, to_be: bool = False, alu64: bool = False) -> Scalar:
        """Byte swap: ``le16/32/64`` (``to_be=False``), ``be16/32/64`` (``to_be=True``) or,
        with ``alu64=True``, the unconditional ``bswap16/32/64`` (little-endian host)."""
        return alu_end(self, bits, to_be, alu64)

    def mov32(self) -> Scalar:
        """``w = w`` (32-bit move: the low 32 bits, zero-extended)."""
        vo = self.var_off
        if not vo.mask and self.umin == vo.value == self.umax and self.smin == self.smax \
                and self.u32_min == self.u32_max and self.s32_min == self.s32_max:
            return Scalar.const(vo.value & U32)  # a known value: what the path below gives
        s = self.copy()
        zext_32_to_64(s)
        bounds_sync(s)
        return s

    def movsx(self, bits: int, *, alu64: bool = True, subreg_range: bool = True) -> Scalar:
        """Sign-extending move from the low ``bits`` (8, 16, 32; 32 only with ``alu64``);
        ``subreg_range`` is the kernel's feature ``movsx_subreg_range``."""
        s = self.copy()
        if alu64:
            coerce_to_size_sx(s, bits // 8, subreg_range)
        else:
            coerce_subreg_to_size_sx(s, bits // 8)
            zext_32_to_64(s)
            bounds_sync(s)
        return s

    def zext32(self) -> Scalar:
        """The 32-bit result zero-extended (the kernel's ``zext_32_to_64`` plus sync)."""
        return self.mov32()

    def truncate(self, size: int) -> Scalar:
        """Keep the low ``size`` bytes (``coerce_reg_to_size``, e.g. a narrow load). The
        result may be shared with an earlier call on the same value (`bounds.RESULTS`)."""
        key = (size, self.var_off, self.smin, self.smax, self.umin, self.umax, self.s32_min,
               self.s32_max, self.u32_min, self.u32_max)
        got = _RESULTS.get(key)
        if got is not None:
            return got
        s = self.copy()
        if size < 8:
            coerce_to_size(s, size)
        if len(_RESULTS) >= _RESULTS_MAX:
            _RESULTS.clear()
        _RESULTS[key] = s
        return s

    def sext_load(self, size: int, subreg_range: bool = True) -> Scalar:
        """Sign-extend the low ``size`` bytes to 64 bits (``coerce_reg_to_size_sx``)."""
        s = self.copy()
        coerce_to_size_sx(s, size, subreg_range)
        return s

    def add_const(self, delta: int, *, zext32: bool = False) -> Scalar:
        """``self + delta`` as the kernel does when syncing linked registers."""
        return add_fake_const(self, delta, zext32)

    # -- display --------------------------------------------------------------
    def fmt(self, *, reg_id: int = 0, delta: int | None = None, precise: bool = False) -> str:
        """The kernel log text of a scalar register (``print_reg_state``).

        ``reg_id`` and ``delta`` (the ``BPF_ADD_CONST`` offset of a linked
        register) and ``precise`` (the ``P`` prefix) come from the register.

        >>> Scalar.unknown().fmt(reg_id=1, delta=-1000)
        'scalar(id=1-1000)'
        >>> Scalar.const(-100000).fmt()
        '0xfffffffffffe7960'
        """
        p = "P" if precise else ""
        if self.var_off.mask == 0:
            return p + fmt_snum(s64(self.var_off.value))
        parts: list[str] = []
        head = ""
        if reg_id:
            head = f"id={reg_id}"
            if delta is not None:
                head += f"{delta:+d}"
        if head:
            parts.append(head)
        ranges = _fmt_ranges(self)
        if ranges:
            parts.append(ranges)
        if self.var_off.mask != U64:
            parts.append(f"var_off={self.var_off}")
        return f"{p}scalar({','.join(parts)})"

    def __str__(self) -> str:
        return self.fmt()

    def __repr__(self) -> str:
        return (f"Scalar(var_off={self.var_off!r}, smin={self.smin}, smax={self.smax}, "
                f"umin={self.umin:#x}, umax={self.umax:#x}, s32_min={self.s32_min}, "
                f"s32_max={self.s32_max}, u32_min={self.u32_min:#x}, u32_max={self.u32_max:#x})")


def _fmt_ranges(s: Scalar) -> str:
    def s32v(v: int) -> int:
        return v & U64 if _DEC_MIN <= v <= _DEC_MAX else v & U32

    items: list[list[Any]] = [  # [name, value, omitted]: rows are marked as they are printed
        ["smin", s.smin & U64, s.smin == S64_MIN],
        ["smax", s.smax & U64, s.smax == S64_MAX],
        ["umin", s.umin, s.umin == 0],
        ["umax", s.umax, s.umax == U64],
        ["smin32", s32v(s.s32_min), s.s32_min == S32_MIN],
        ["smax32", s32v(s.s32_max), s.s32_max == S32_MAX],
        ["umin32", s.u32_min, s.u32_min == 0],
        ["umax32", s.u32_max, s.u32_max == U32],
    ]
    out: list[str] = []
    for i, (name, val, omit) in enumerate(items):
        if omit:
            continue
        neg1 = name[0] == "s" and (val >> 63) == 1
        text = f"{name}="
        for j in range(i + 2, len(items), 2):
            m2 = items[j]
            if m2[2] or m2[1] != val:
                continue
            neg2 = m2[0][0] == "s" and (m2[1] >> 63) == 1
            if neg2 != neg1:
                continue
            m2[2] = True
            text += f"{m2[0]}="
        text += fmt_snum(s64(val)) if name[0] == "s" else fmt_unum(val)
        out.append(text)
    return ",".join(out)


__all__ = ["S32_MAX", "S32_MIN", "S64_MAX", "S64_MIN", "Scalar", "fmt_snum", "fmt_unum"]
