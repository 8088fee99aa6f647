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

from ..isa.opcodes import AluOp
from .scalar_sync import sync_fields as bounds_sync
from .tnum import U32, U64, UNKNOWN, Tnum, _s32, _s64

S64_MIN = -(1 << 63)
S64_MAX = (1 << 63) - 1
S32_MIN = -(1 << 31)
S32_MAX = (1 << 31) - 1
_TOP32 = U64 ^ U32

#: Numbers the kernel log prints in decimal (others in hex): unsigned up to
#: U16_MAX, signed within the s16 range.
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
        """Exactly ``value`` (taken modulo 2**64)."""
        s = Scalar()
        _mark_known(s, value & U64)
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
        """A field-for-field copy."""
        return Scalar(self.var_off, self.smin, self.smax, self.umin, self.umax,
                      self.s32_min, self.s32_max, self.u32_min, self.u32_max)

    # -- queries --------------------------------------------------------------
    @property
    def is_const(self) -> bool:
        """True when the tnum is a known constant (the kernel's ``tnum_is_const``)."""
        return self.var_off.mask == 0

    @property
    def value(self) -> int:
        """The known value (meaningful when `is_const`)."""
        return self.var_off.value

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
            if self.umin != u or self.umax != u or self.smin != _s64(u) or self.smax != _s64(u):
                return "const tnum out of sync with range bounds"
        if not (self.var_off.mask & U32):
            u = self.var_off.value & U32
            if (self.u32_min != u or self.u32_max != u or self.s32_min != _s32(u)
                    or self.s32_max != _s32(u)):
                return "const subreg tnum out of sync with range bounds"
        return None

    def sanitized(self) -> Scalar:
        """The kernel's reaction to an invariant violation: bounds forgotten, tnum kept."""
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
        return isinstance(other, Scalar) and self.key() == other.key()

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
        from .scalar_alu import alu_binary
        return alu_binary(self, int(op), src, alu64)

    def neg(self, *, alu64: bool = True) -> Scalar:
        """``-self`` (NEG), 64- or 32-bit."""
        from .scalar_alu import alu_neg
        return alu_neg(self, alu64)

    def end(self, bits: int, *, to_be: bool = False, alu64: bool = False) -> Scalar:
        """Byte swap: ``le16/32/64`` (``to_be=False``), ``be16/32/64`` (``to_be=True``) or,
        with ``alu64=True``, the unconditional ``bswap16/32/64`` (little-endian host)."""
        from .scalar_alu import alu_end
        return alu_end(self, bits, to_be, alu64)

    def mov32(self) -> Scalar:
        """``w = w`` (32-bit move: the low 32 bits, zero-extended)."""
        s = self.copy()
        _zext_32_to_64(s)
        bounds_sync(s)
        return s

    def movsx(self, bits: int, *, alu64: bool = True) -> Scalar:
        """Sign-extending move from the low ``bits`` (8, 16, 32; 32 only with ``alu64``)."""
        s = self.copy()
        if alu64:
            coerce_to_size_sx(s, bits // 8)
        else:
            coerce_subreg_to_size_sx(s, bits // 8)
            _zext_32_to_64(s)
            bounds_sync(s)
        return s

    def zext32(self) -> Scalar:
        """The 32-bit result zero-extended (the kernel's ``zext_32_to_64`` plus sync)."""
        return self.mov32()

    def truncate(self, size: int) -> Scalar:
        """Keep the low ``size`` bytes (``coerce_reg_to_size``, e.g. a narrow load)."""
        s = self.copy()
        if size < 8:
            coerce_to_size(s, size)
        return s

    def sext_load(self, size: int) -> Scalar:
        """Sign-extend the low ``size`` bytes to 64 bits (``coerce_reg_to_size_sx``)."""
        s = self.copy()
        coerce_to_size_sx(s, size)
        return s

    def add_const(self, delta: int, *, zext32: bool = False) -> Scalar:
        """``self + delta`` as the kernel does when syncing linked registers."""
        from .scalar_alu import add_fake_const
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
            return p + fmt_snum(_s64(self.var_off.value))
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

    items = [
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
        text += fmt_snum(_s64(val)) if name[0] == "s" else fmt_unum(val)
        out.append(text)
    return ",".join(out)


# ---------------------------------------------------------------------------
# In-place primitives on a fresh Scalar (the kernel's mutating helpers).
# ---------------------------------------------------------------------------

def _mark_known(r: Scalar, imm: int) -> None:
    """``___mark_reg_known``: every field from the 64-bit ``imm``."""
    r.var_off = Tnum(imm, 0)
    r.smin = r.smax = imm - (1 << 64) if imm >> 63 else imm
    r.umin = r.umax = imm
    lo = imm & U32
    r.s32_min = r.s32_max = lo - (1 << 32) if lo >> 31 else lo
    r.u32_min = r.u32_max = lo


def _mark32_known(r: Scalar, imm: int) -> None:
    """``__mark_reg32_known``: the low 32 bits known, the 64-bit bounds untouched."""
    lo = imm & U32
    r.var_off = r.var_off.const_subreg(lo)
    r.s32_min = r.s32_max = lo - (1 << 32) if lo >> 31 else lo
    r.u32_min = r.u32_max = lo


def _mark_unbounded(r: Scalar) -> None:
    r.smin, r.smax, r.umin, r.umax = S64_MIN, S64_MAX, 0, U64
    r.s32_min, r.s32_max, r.u32_min, r.u32_max = S32_MIN, S32_MAX, 0, U32


def _mark64_unbounded(r: Scalar) -> None:
    r.smin, r.smax, r.umin, r.umax = S64_MIN, S64_MAX, 0, U64


def _mark32_unbounded(r: Scalar) -> None:
    r.s32_min, r.s32_max, r.u32_min, r.u32_max = S32_MIN, S32_MAX, 0, U32


def _mark_unknown(r: Scalar) -> None:
    r.var_off = UNKNOWN
    _mark_unbounded(r)


def _update_bounds32(r: Scalar) -> None:
    v = r.var_off.value & U32
    m = r.var_off.mask & U32
    lo = _s32(v | (m & 0x80000000))
    hi = _s32(v | (m & 0x7FFFFFFF))
    if lo > r.s32_min:
        r.s32_min = lo
    if hi < r.s32_max:
        r.s32_max = hi
    if v > r.u32_min:
        r.u32_min = v
    if (v | m) < r.u32_max:
        r.u32_max = v | m


def _update_bounds64(r: Scalar) -> None:
    t = r.var_off
    v, m = t.value, t.mask
    lo = _s64(v | (m & 0x8000000000000000))
    hi = _s64(v | (m & 0x7FFFFFFFFFFFFFFF))
    if lo > r.smin:
        r.smin = lo
    if hi < r.smax:
        r.smax = hi
    if v > r.umin:
        r.umin = v
    tmax = v | m
    if tmax < r.umax:
        r.umax = tmax
    if m == 0:
        return
    # The u64 range and the tnum may meet in a single value.
    umin, umax = r.umin, r.umax
    nxt = t.step(umin)
    umin_in = (umin & ~m) == v
    if umin_in and nxt > umax:
        _mark_known(r, umin)
    elif not umin_in and nxt == tmax:
        _mark_known(r, tmax)
    elif not umin_in and nxt <= umax and t.step(nxt) > umax:
        _mark_known(r, nxt)


def update_bounds(r: Scalar) -> None:
    """``__update_reg_bounds`` (in place): bounds tightened from the tnum."""
    _update_bounds32(r)
    _update_bounds64(r)


def _deduce32(r: Scalar) -> None:
    umin, umax, smin, smax = r.umin, r.umax, r.smin, r.smax
    if (umin >> 32) == (umax >> 32):
        r.u32_min = max(r.u32_min, umin & U32)
        r.u32_max = min(r.u32_max, umax & U32)
        a, b = _s32(umin), _s32(umax)
        if a <= b:
            r.s32_min = max(r.s32_min, a)
            r.s32_max = min(r.s32_max, b)
    if (smin >> 32) == (smax >> 32):
        a, b = smin & U32, smax & U32
        if a <= b:
            r.u32_min = max(r.u32_min, a)
            r.u32_max = min(r.u32_max, b)
        a, b = _s32(smin), _s32(smax)
        if a <= b:
            r.s32_min = max(r.s32_min, a)
            r.s32_max = min(r.s32_max, b)
    if ((umin >> 32) + 1) & U32 == (umax >> 32) & U32:
        a, b = _s32(umin), _s32(umax)
        if a < 0 <= b:
            r.s32_min = max(r.s32_min, a)
            r.s32_max = min(r.s32_max, b)
    if ((smin >> 32) + 1) & U32 == (smax >> 32) & U32:
        a, b = _s32(smin), _s32(smax)
        if a < 0 <= b:
            r.s32_min = max(r.s32_min, a)
            r.s32_max = min(r.s32_max, b)
    a, b = _s32(r.u32_min), _s32(r.u32_max)
    if a <= b:
        r.s32_min = max(r.s32_min, a)
        r.s32_max = min(r.s32_max, b)
    a, b = r.s32_min & U32, r.s32_max & U32
    if a <= b:
        r.u32_min = max(a, r.u32_min)
        r.u32_max = min(b, r.u32_max)
    elif r.u32_max < a:
        r.s32_min = _s32(r.u32_min)
        r.u32_max = min(r.u32_max, b)
    elif b < r.u32_min:
        r.s32_max = _s32(r.u32_max)
        r.u32_min = max(r.u32_min, a)


def _deduce64(r: Scalar) -> None:
    a, b = _s64(r.umin), _s64(r.umax)
    if a <= b:
        r.smin = max(r.smin, a)
        r.smax = min(r.smax, b)
    a, b = r.smin & U64, r.smax & U64
    if a <= b:
        r.umin = max(a, r.umin)
        r.umax = min(b, r.umax)
    elif r.umax < a:
        r.smin = _s64(r.umin)
        r.umax = min(r.umax, b)
    elif b < r.umin:
        r.smax = _s64(r.umax)
        r.umin = max(r.umin, a)


def _deduce_mixed(r: Scalar) -> None:
    new = (r.umin & _TOP32) | r.u32_min
    if new > r.umin:
        r.umin = new
    new = (r.umax & _TOP32) | r.u32_max
    if new < r.umax:
        r.umax = new
    new = _s64((r.smin & _TOP32) | r.u32_min)
    if new > r.smin:
        r.smin = new
    new = _s64((r.smax & _TOP32) | r.u32_max)
    if new < r.smax:
        r.smax = new
    if r.s32_min >= 0 and r.smin >= S32_MIN and r.smax <= S32_MAX:
        r.smin, r.umin = r.s32_min, r.s32_min & U64
        r.smax, r.umax = r.s32_max, r.s32_max & U64
        r.var_off = r.var_off.intersect(Tnum.range(r.umin, r.umax))


def deduce_bounds(r: Scalar) -> None:
    """``__reg_deduce_bounds`` (in place): 32-bit, 64-bit and mixed deductions."""
    _deduce32(r)
    _deduce64(r)
    _deduce_mixed(r)


def bound_offset(r: Scalar) -> None:
    """``__reg_bound_offset`` (in place): tnum tightened from the unsigned bounds."""
    var64 = r.var_off.intersect(Tnum.range(r.umin, r.umax))
    var32 = var64.subreg().intersect(Tnum.range(r.u32_min, r.u32_max))
    r.var_off = var64.clear_subreg().or_(var32)


def bounds_sync_reference(r: Scalar) -> None:
    """``reg_bounds_sync`` (in place), step by step as the kernel writes it.

    `bounds_sync` (the fast version in `pybpf.verifier.scalar_sync`) must agree with it.
    """
    update_bounds(r)
    deduce_bounds(r)
    deduce_bounds(r)
    deduce_bounds(r)
    bound_offset(r)
    update_bounds(r)


def _assign_32_into_64(r: Scalar) -> None:
    r.umin = r.u32_min
    r.umax = r.u32_max
    if r.s32_min >= 0 and r.s32_max >= 0:
        r.smin = r.s32_min
        r.smax = r.s32_max
    else:
        r.smin = 0
        r.smax = U32


def _zext_32_to_64(r: Scalar) -> None:
    r.var_off = r.var_off.subreg()
    _assign_32_into_64(r)


def coerce_to_size(r: Scalar, size: int) -> None:
    """``coerce_reg_to_size`` (in place): keep the low ``size`` bytes, zero-extended."""
    r.var_off = r.var_off.cast(size)
    mask = (1 << (size * 8)) - 1
    if (r.umin & ~mask) == (r.umax & ~mask):
        r.umin &= mask
        r.umax &= mask
    else:
        r.umin = 0
        r.umax = mask
    r.smin = _s64(r.umin)
    r.smax = _s64(r.umax)
    if size < 4:
        _mark32_unbounded(r)
    bounds_sync(r)


_SEXT_LIMITS = {1: (-(1 << 7), (1 << 7) - 1), 2: (-(1 << 15), (1 << 15) - 1), 4: (S32_MIN, S32_MAX)}


def _sext(v: int, size: int) -> int:
    bits = size * 8
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def coerce_to_size_sx(r: Scalar, size: int) -> None:
    """``coerce_reg_to_size_sx`` (in place): sign-extend the low ``size`` bytes to 64 bits."""
    if r.var_off.mask == 0:
        _mark_known(r, _sext(r.var_off.value, size) & U64)
        return
    bits = size * 8
    if ((r.smax & U64) >> bits) == ((r.smin & U64) >> bits):
        a, b = _sext(r.smax, size), _sext(r.smin, size)
        hi, lo = max(a, b), min(a, b)
        if (hi >= 0) == (lo >= 0):
            r.smin = r.s32_min = lo
            r.smax = r.s32_max = hi
            r.umin = lo & U64
            r.u32_min = lo & U32
            r.umax = hi & U64
            r.u32_max = hi & U32
            r.var_off = Tnum.range(lo & U64, hi & U64)
            return
    r.umin, r.umax = 0, U64
    r.var_off = UNKNOWN
    if size == 4:
        # Sign-extending from 32 bits leaves the low 32 bits as they were: the kernel keeps
        # the subregister's bounds, the signed 64-bit range is the signed 32-bit one, and
        # the rest follows from them (a value masked with -16 keeps smax=0x7ffffff0 and
        # umax=0xfffffffffffffff0 through (s32)).
        r.smin, r.smax = r.s32_min, r.s32_max
        bounds_sync(r)
        return
    lo, hi = _SEXT_LIMITS[size]
    r.smin, r.smax = lo, hi
    r.s32_min, r.s32_max = lo, hi
    r.u32_min, r.u32_max = 0, U32


def coerce_subreg_to_size_sx(r: Scalar, size: int) -> None:
    """``coerce_subreg_to_size_sx`` (in place): sign-extend the low ``size`` bytes to 32 bits."""
    if r.var_off.mask == 0:
        v = _sext(r.var_off.value, size) & U64
        r.var_off = Tnum(v, 0)
        lo = v & U32
        r.s32_min = r.s32_max = _s32(lo)
        r.u32_min = r.u32_max = lo
        return
    bits = size * 8
    if ((r.s32_max & U32) >> bits) == ((r.s32_min & U32) >> bits):
        a, b = _sext(r.s32_max, size), _sext(r.s32_min, size)
        hi, lo = max(a, b), min(a, b)
        if (lo >= 0) == (hi >= 0):
            r.s32_min, r.s32_max = lo, hi
            r.u32_min, r.u32_max = lo & U32, hi & U32
            r.var_off = Tnum.range(lo & U64, hi & U64).subreg()
            return
    lo, hi = _SEXT_LIMITS[size]
    r.s32_min, r.s32_max = lo, hi
    r.u32_min, r.u32_max = 0, U32
    r.var_off = UNKNOWN.subreg()
