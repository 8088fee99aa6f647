"""Arithmetic semantics of the eBPF ISA, in 64 and 32 bits, as data.

Every operation is one Python *expression* over ``a`` (the destination
register, a u64) and ``b`` (the source: a register, or the immediate already
widened: sign-extended to 64 bits for ALU64, truncated to 32 bits for ALU).
The expressions are the single definition of the semantics: `alu_function`
turns one into a plain function (for tests, helpers and the trace printer)
and the VM's instruction compiler inlines the same text into a specialised
handler, so there is nothing to keep in sync.

The ISA's rules (RFC 9669 and the kernel's interpreter/JITs):

- 32-bit results are zero-extended into the 64-bit register;
- shifts use the shift amount masked to 63 (64-bit) or 31 (32-bit);
- unsigned division by zero gives 0, unsigned modulo by zero leaves the
  destination unchanged (its low 32 bits, zero-extended, in 32-bit ALU);
- signed division (``off=1``) truncates toward zero; by zero it gives 0 and
  ``INT_MIN / -1`` wraps to ``INT_MIN``; signed modulo takes the sign of the
  dividend, by zero leaves the destination unchanged, ``INT_MIN % -1`` is 0;
- ``movsx`` sign-extends the low 8/16/32 bits of the source;
- ``le`` truncates to the width (the host is little endian), ``be`` and the
  ALU64 ``bswap`` reverse the bytes of the low 16/32/64 bits.

>>> sdiv64 = alu_function(AluOp.DIV, is64=True, signed=True)
>>> hex(sdiv64(1 << 63, (1 << 64) - 1))
'0x8000000000000000'
>>> alu_function(AluOp.MOD, is64=False)(0xFFFFFFFF00000007, 0)
7
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from ..isa import AluOp, JmpOp

M64 = (1 << 64) - 1
M32 = 0xFFFFFFFF
SB64 = 1 << 63
SB32 = 1 << 31


def s64(v: int) -> int:
    """``v`` (a u64) read as a signed 64-bit integer.

    >>> s64((1 << 64) - 1)
    -1
    """
    return ((v & M64) ^ SB64) - SB64


def s32(v: int) -> int:
    """The low 32 bits of ``v`` read as a signed 32-bit integer.

    >>> s32(0x80000000)
    -2147483648
    """
    return ((v & M32) ^ SB32) - SB32


def sdiv64(a: int, b: int) -> int:
    """Signed 64-bit division: truncating, x/0 = 0, INT_MIN/-1 = INT_MIN."""
    sa, sb = s64(a), s64(b)
    if sb == 0:
        return 0
    q = abs(sa) // abs(sb)
    return (-q if (sa < 0) != (sb < 0) else q) & M64


def smod64(a: int, b: int) -> int:
    """Signed 64-bit modulo: sign of the dividend, x%0 = x."""
    sa, sb = s64(a), s64(b)
    if sb == 0:
        return a
    r = abs(sa) % abs(sb)
    return (-r if sa < 0 else r) & M64


def sdiv32(a: int, b: int) -> int:
    """Signed 32-bit division, result zero-extended."""
    sa, sb = s32(a), s32(b)
    if sb == 0:
        return 0
    q = abs(sa) // abs(sb)
    return (-q if (sa < 0) != (sb < 0) else q) & M32


def smod32(a: int, b: int) -> int:
    """Signed 32-bit modulo, result zero-extended; x%0 = (u32)x."""
    sa, sb = s32(a), s32(b)
    if sb == 0:
        return a & M32
    r = abs(sa) % abs(sb)
    return (-r if sa < 0 else r) & M32


def bswap16(a: int) -> int:
    return ((a & 0xFF) << 8) | ((a >> 8) & 0xFF)


def bswap32(a: int) -> int:
    return int.from_bytes((a & M32).to_bytes(4, "little"), "big")


def bswap64(a: int) -> int:
    return int.from_bytes((a & M64).to_bytes(8, "little"), "big")


#: Names the expressions may use besides ``a`` and ``b``.
NAMESPACE: dict[str, object] = {
    "M64": M64, "M32": M32, "SB64": SB64, "SB32": SB32, "s64": s64, "s32": s32,
    "sdiv64": sdiv64, "smod64": smod64, "sdiv32": sdiv32, "smod32": smod32,
    "bswap16": bswap16, "bswap32": bswap32, "bswap64": bswap64,
}

#: (op, signed) -> expression, for ALU64 (``b`` is a u64).
ALU64_EXPR: dict[tuple[AluOp, bool], str] = {
    (AluOp.ADD, False): "(a + b) & M64",
    (AluOp.SUB, False): "(a - b) & M64",
    (AluOp.MUL, False): "(a * b) & M64",
    (AluOp.DIV, False): "(a // b if b else 0)",
    (AluOp.DIV, True): "sdiv64(a, b)",
    (AluOp.OR, False): "a | b",
    (AluOp.AND, False): "a & b",
    (AluOp.LSH, False): "(a << (b & 63)) & M64",
    (AluOp.RSH, False): "a >> (b & 63)",
    (AluOp.NEG, False): "-a & M64",
    (AluOp.MOD, False): "(a % b if b else a)",
    (AluOp.MOD, True): "smod64(a, b)",
    (AluOp.XOR, False): "a ^ b",
    (AluOp.MOV, False): "b",
    (AluOp.ARSH, False): "(((a ^ SB64) - SB64) >> (b & 63)) & M64",
}

#: (op, signed) -> expression, for 32-bit ALU (``b`` is a u64; use its low half).
ALU32_EXPR: dict[tuple[AluOp, bool], str] = {
    (AluOp.ADD, False): "(a + b) & M32",
    (AluOp.SUB, False): "(a - b) & M32",
    (AluOp.MUL, False): "(a * b) & M32",
    (AluOp.DIV, False): "((a & M32) // (b & M32) if b & M32 else 0)",
    (AluOp.DIV, True): "sdiv32(a, b)",
    (AluOp.OR, False): "(a | b) & M32",
    (AluOp.AND, False): "a & b & M32",
    (AluOp.LSH, False): "((a & M32) << (b & 31)) & M32",
    (AluOp.RSH, False): "(a & M32) >> (b & 31)",
    (AluOp.NEG, False): "-a & M32",
    (AluOp.MOD, False): "((a & M32) % (b & M32) if b & M32 else a & M32)",
    (AluOp.MOD, True): "smod32(a, b)",
    (AluOp.XOR, False): "(a ^ b) & M32",
    (AluOp.MOV, False): "b & M32",
    (AluOp.ARSH, False): "((((a & M32) ^ SB32) - SB32) >> (b & 31)) & M32",
}

#: sign-extending MOV (``off`` = source width in bits) -> expression over ``b``.
MOVSX64_EXPR: dict[int, str] = {
    8: "(((b & 0xFF) ^ 0x80) - 0x80) & M64",
    16: "(((b & 0xFFFF) ^ 0x8000) - 0x8000) & M64",
    32: "(((b & M32) ^ SB32) - SB32) & M64",
}
MOVSX32_EXPR: dict[int, str] = {
    8: "(((b & 0xFF) ^ 0x80) - 0x80) & M32",
    16: "(((b & 0xFFFF) ^ 0x8000) - 0x8000) & M32",
}

#: END: (to big endian / unconditional swap, width) -> expression over ``a``.
END_EXPR: dict[tuple[bool, int], str] = {
    (False, 16): "a & 0xFFFF",
    (False, 32): "a & M32",
    (False, 64): "a",
    (True, 16): "bswap16(a)",
    (True, 32): "bswap32(a)",
    (True, 64): "bswap64(a)",
}


def alu_expression(op: int, *, is64: bool, signed: bool = False, movsx: int = 0) -> str:
    """The expression of one arithmetic operation (see the module docstring).

    >>> alu_expression(AluOp.ADD, is64=False)
    '(a + b) & M32'
    """
    op = AluOp(op)
    if op == AluOp.MOV and movsx:
        return (MOVSX64_EXPR if is64 else MOVSX32_EXPR)[movsx]
    table = ALU64_EXPR if is64 else ALU32_EXPR
    return table[(op, signed and op in (AluOp.DIV, AluOp.MOD))]


_CACHE: dict[str, Callable[[int, int], int]] = {}


def compile_expression(expr: str) -> Callable[[int, int], int]:
    """``lambda a, b: <expr>`` evaluated with this module's names (cached)."""
    return _compile(expr)


def _compile(expr: str) -> Callable[[int, int], int]:
    fn = _CACHE.get(expr)
    if fn is None:
        fn = eval(f"lambda a, b: {expr}", dict(NAMESPACE))  # noqa: S307 - our own tables
        _CACHE[expr] = fn
    return fn


def alu_function(op: int, *, is64: bool, signed: bool = False,
                 movsx: int = 0) -> Callable[[int, int], int]:
    """A function ``f(dst, src) -> result`` (u64 in, u64 out) for one operation.

    >>> alu_function(AluOp.ARSH, is64=False)(0xF8 << 28, 48)
    4294934528
    """
    return _compile(alu_expression(op, is64=is64, signed=signed, movsx=movsx))


def end_function(*, swap: bool, width: int) -> Callable[[int, int], int]:
    """``f(dst, _) -> result`` for a byte swap (``swap``: to big endian / bswap).

    >>> hex(end_function(swap=True, width=16)(0x1234, 0))
    '0x3412'
    """
    return _compile(END_EXPR[(swap, width)])


def widen_imm(imm: int, *, is64: bool) -> int:
    """The immediate as the ``b`` operand: sign-extended to u64, or its u32.

    >>> hex(widen_imm(-1, is64=True)), hex(widen_imm(-1, is64=False))
    ('0xffffffffffffffff', '0xffffffff')
    """
    return imm & (M64 if is64 else M32)


#: Conditional jump -> condition over ``a`` (dst) and ``b`` (src or widened imm),
#: both unsigned values of the comparison's width (64 or 32 bits).
JMP64_COND: dict[int, str] = {}
JMP32_COND: dict[int, str] = {}


def _jump_tables() -> None:
    base = {
        JmpOp.JEQ: "a == b", JmpOp.JNE: "a != b", JmpOp.JGT: "a > b", JmpOp.JGE: "a >= b",
        JmpOp.JLT: "a < b", JmpOp.JLE: "a <= b", JmpOp.JSET: "a & b",
    }
    signed = {JmpOp.JSGT: ">", JmpOp.JSGE: ">=", JmpOp.JSLT: "<", JmpOp.JSLE: "<="}
    for op, cond in base.items():
        JMP64_COND[op] = cond
        JMP32_COND[op] = cond
    for op, rel in signed.items():
        # flipping the sign bit maps signed order onto unsigned order
        JMP64_COND[op] = f"(a ^ SB64) {rel} (b ^ SB64)"
        JMP32_COND[op] = f"(a ^ SB32) {rel} (b ^ SB32)"


_jump_tables()


def jump_function(op: int, *, is64: bool) -> Callable[[int, int], bool]:
    """``f(dst, src) -> taken`` for a conditional jump (operands as registers hold them).

    >>> jump_function(JmpOp.JSLT, is64=False)(0xFFFFFFFF, 0)
    True
    """
    cond = (JMP64_COND if is64 else JMP32_COND)[op]
    if is64:
        return cast(Callable[[int, int], bool], _compile(f"bool({cond})"))  # a bool expression
    return cast(Callable[[int, int], bool], _compile(f"(lambda a, b: bool({cond}))(a & M32, b & M32)"))
