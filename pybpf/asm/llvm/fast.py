"""The fast path of the LLVM-syntax assembler: the common line shapes, each read cheaply.

`fast_insn` recognises a well-formed line of the most frequent shapes (ALU,
moves, negation, sign extension, byte swaps, loads, stores, atomics, lddw of a
constant, jumps, helper calls, exit). A line whose whitespace-separated words
are exactly a shape's (``r1 += 7``, ``if r1 > r2 goto L3``, ``r1 = be16 r1``)
is read word by word from tables, without a regex; any other line takes the one
compiled regex its first word (or an assignment's right-hand side) selects, with
only the groups it needs. Builders make the `Insn` tuple directly: every field
is range-checked here, so `Insn`'s own checks are skipped. Anything else,
including every line with an error, a comment or a symbolic operand, returns
None and goes to the full parser in `pybpf.asm.llvm.parser`, which produces the
same instruction or a precise `AsmError`. Tests check that both paths agree on
every form and on damaged lines.

>>> fast_insn("r1 += 0x10")
(Insn(opcode=0x07, dst=1, src=0, off=0, imm=16), 1, False, None, 0)
>>> fast_insn("r1 += foo") is None
True
"""

from __future__ import annotations

from ...isa.insn import Insn
from ...isa.opcodes import LDDW, Size
from .words import (
    ALU_K,
    ALU_SYM,
    ALU_X,
    ATOMIC,
    CALL,
    CMPXCHG,
    END,
    EXIT,
    FETCH,
    GOTO,
    IMMS,
    JMP_K,
    JMP_SYM,
    JMP_X,
    LD_ABS,
    LD_IND,
    LDX_KEY,
    LOCK_OPS,
    NAMES,
    NEG,
    NUM_START,
    REG_WORD,
    REGS,
    SIZES,
    STORE_KEY,
    XCHG,
    Result,
    by_words,
    imm_word,
    name_word,
    new_tuple,
    s32,
)

TYPE_CHECKING = False  # (not typing's: the assembler is on `pybpf asm`'s start-up path)
if TYPE_CHECKING:
    import re
    from collections.abc import Callable
    from typing import Any


class LazyRegex:
    """A regex compiled on first use (compiling ~30 large patterns costs tens of ms at import)."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __getattr__(self, name: str) -> Any:
        import re  # (at the first regex used: a short program's words need none)

        compiled = re.compile(self.pattern)
        for method in ("fullmatch", "match", "search", "finditer"):
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)


_N = r"([-+]?(?:0[xX][0-9a-fA-F]+|0|[1-9]\d*))"  # octal/binary spellings: the full parser
_R = r"(10|[0-9])"
_MEM = r"\(\s*r" + _R + r"\s*([-+])\s*" + _N + r"\s*\)"

_RW = LazyRegex("".join([
    r"\s*([rw])", _R, r"\s*(?:",
    r"(s>>|s/|s%|<<|>>|[-+*/|&%^]|)=\s*(?:([rw])", _R, "|", _N, ")",  # 3-6: ALU
    r"|=\s*\*\s*\(\s*([us])(8|16|32|64)\s*\*\s*\)\s*", _MEM,  # 7-11: LDX
    r"|=\s*", _N, r"\s+ll",  # 12: lddw
    r"|=\s*\*\s*\(\s*u(8|16|32)\s*\*\s*\)\s*skb\[\s*(?:r", _R, "|", _N, r")\s*\]",  # 13-15
    r"|=\s*(le|be|bswap)(16|32|64)\s+r", _R,  # 16-18: byte swaps
    r"|=\s*-\s*([rw])", _R,  # 19-20: neg
    r"|=\s*\(\s*s(8|16|32)\s*\)\s*([rw])", _R,  # 21-23: movsx
    r"|=\s*atomic_fetch_(add|or|and|xor)\(\s*\(\s*u(32|64)\s*\*\s*\)\s*", _MEM,  # 24-28
    r"\s*,\s*([rw])", _R, r"\s*\)",  # 29-30
    r"|=\s*(xchg|cmpxchg)(_64|32_32)\(\s*r", _R, r"\s*([-+])\s*", _N,  # 31-35
    r"\s*,\s*([rw])", _R, r"\s*(?:,\s*([rw])", _R, r"\s*)?\)",  # 36-39
    r")\s*"]))
_ST = LazyRegex(r"\s*(\*)\s*\(\s*u(8|16|32|64)\s*\*\s*\)\s*" + _MEM
                 + r"\s*=\s*(?:([rw])" + _R + "|" + _N + r")\s*")
_TARGET = r"(?:" + _N + r"|([A-Za-z_.$][\w.$]*))"
_IF = LazyRegex(r"\s*(if)\s+([rw])" + _R + r"\s*(==|!=|s>=|s<=|>=|<=|s>|s<|>|<|&)\s*(?:([rw])"
                 + _R + "|" + _N + r")\s+goto\s+" + _TARGET + r"\s*")
_LOCK = LazyRegex(r"\s*(?:(lock)\s+\*\s*\(\s*u(8|16|32|64)\s*\*\s*\)\s*" + _MEM
                   + r"\s*(?P<op>[-+|&^])=\s*([rw])" + _R
                   + r"|(ld_pseudo)\s+r" + _R + r"\s*,\s*" + _N + r"\s*,\s*" + _N + r")\s*")
_GO = LazyRegex(r"\s*(goto|gotol|may_goto)\s+" + _TARGET + r"\s*")
_CALL_RE = LazyRegex(r"\s*(call)\s+" + _N + r"\s*")
_EXIT_RE = LazyRegex(r"\s*(exit)\s*")

# the two most frequent shapes of r/w lines, each alone (fewer groups to extract)
_ALU_RE = LazyRegex(r"\s*([rw])" + _R + r"\s*(s>>|s/|s%|<<|>>|[-+*/|&%^]|)=\s*(?:([rw])" + _R
                    + "|" + _N + r")\s*")
_FETCH_RE = LazyRegex(r"\s*([rw])" + _R + r"\s*=\s*atomic_fetch_(add|or|and|xor)\(\s*\(\s*u(32|64)"
                      r"\s*\*\s*\)\s*" + _MEM + r"\s*,\s*([rw])" + _R + r"\s*\)\s*")
_XCHG_RE = LazyRegex(r"\s*([rw])" + _R + r"\s*=\s*(xchg|cmpxchg)(_64|32_32)\(\s*r" + _R
                     + r"\s*([-+])\s*" + _N + r"\s*,\s*([rw])" + _R + r"\s*(?:,\s*([rw])" + _R
                     + r"\s*)?\)\s*")
_SKB_RE = LazyRegex(r"\s*([rw])" + _R + r"\s*=\s*\*\s*\(\s*u(8|16|32)\s*\*\s*\)\s*skb\[\s*(?:r"
                    + _R + "|" + _N + r")\s*\]\s*")
_LDX_RE = LazyRegex(r"\s*([rw])" + _R + r"\s*=\s*\*\s*\(\s*([us])(8|16|32|64)\s*\*\s*\)\s*"
                    + _MEM + r"\s*")
def _alu(m: re.Match[str]) -> Result | None:
    p, d, sym, sp, s, num = m.groups()
    if num is None:
        if sp != p:
            return None  # (r2 = w2: the full parser's zero-extending move)
        opcode, off = ALU_X[p][sym]
        return new_tuple(Insn, (opcode, REGS[d], REGS[s], off, 0)), m.start(1) + 1, False, None, 0
    v = s32(int(num, 0))
    if v is None:
        return None
    opcode, off = ALU_K[p][sym]
    return new_tuple(Insn, (opcode, REGS[d], 0, off, v)), m.start(1) + 1, False, None, 0


def _ldx(m: re.Match[str]) -> Result | None:
    p, d, us, bits, base, sign, num = m.groups()
    opcode = LDX_KEY.get(p + us + bits)
    if opcode is None:
        return None
    off = int(num, 0)
    if sign == "-":
        off = -off
    if not -0x8000 <= off <= 0x7FFF:
        return None
    return new_tuple(Insn, (opcode, REGS[d], REGS[base], off, 0)), m.start(1) + 1, False, None, 0


def _fetch(m: re.Match[str]) -> Result | None:
    p, d, name, bits, base, sign, num, p2, r2 = m.groups()
    if p2 != p or r2 != d or (bits == "64") != (p == "r"):
        return None
    off = int(num, 0)
    if sign == "-":
        off = -off
    if not -0x8000 <= off <= 0x7FFF:
        return None
    return (new_tuple(Insn, (ATOMIC | SIZES[bits], REGS[base], REGS[d], off, FETCH[name])),
            m.start(1) + 1, False, None, 0)


def _xchg(m: re.Match[str]) -> Result | None:
    p, d, kind, width, base, sign, num, p2, r2, p3, r3 = m.groups()
    wide = width == "_64"
    if wide != (p == "r") or p2 != p:
        return None
    off = int(num, 0)
    if sign == "-":
        off = -off
    if not -0x8000 <= off <= 0x7FFF:
        return None
    opcode = ATOMIC | (Size.DW if wide else Size.W)
    if kind == "xchg":
        if p3 is not None or r2 != d:
            return None
        return new_tuple(Insn, (opcode, REGS[base], REGS[d], off, XCHG)), m.start(1) + 1, False, None, 0
    if p3 is None or d != "0" or r2 != "0" or p3 != p:
        return None
    return (new_tuple(Insn, (opcode, REGS[base], REGS[r3], off, CMPXCHG)), m.start(1) + 1, False,
            None, 0)


def _skb(m: re.Match[str]) -> Result | None:
    p, d, bits, reg, num = m.groups()
    if p != "r" or d != "0":
        return None
    size = SIZES[bits]
    if reg is not None:
        return new_tuple(Insn, (LD_IND | size, 0, REGS[reg], 0, 0)), m.start(1) + 1, False, None, 0
    v = s32(int(num, 0))
    if v is None:
        return None
    return new_tuple(Insn, (LD_ABS | size, 0, 0, 0, v)), m.start(1) + 1, False, None, 0


#: how an assignment's right-hand side starts -> its one regex and builder
_ASSIGN_SHAPES: tuple[tuple[str, Any, Callable[[re.Match[str]], Result | None]], ...] = (("atomic_fetch_", _FETCH_RE, _fetch), ("xchg", _XCHG_RE, _xchg),
                  ("cmpxchg", _XCHG_RE, _xchg))


def _rw(m: re.Match[str]) -> Result | None:
    g = m.groups()
    p = g[0]
    dst = int(g[1])
    if g[6] is not None:  # load
        opcode = LDX_KEY.get(p + g[6] + g[7])
        if opcode is None:
            return None
        off = int(g[10], 0)
        if g[9] == "-":
            off = -off
        if not -0x8000 <= off <= 0x7FFF:
            return None
        return Insn(opcode, dst, int(g[8]), off, 0), m.start(1) + 1, False, None, 0
    if g[11] is not None:  # lddw
        v = int(g[11], 0)
        if p != "r" or not -(1 << 63) <= v < (1 << 64):
            return None
        return Insn(LDDW, dst, 0, 0, v), m.start(1) + 1, False, None, 0
    if g[3] is None and g[5] is None:
        return _rw_more(m, g, p, dst)
    if g[3] is not None:
        if g[3] != p:
            return None
        opcode, off = ALU_X[p][g[2]]
        return Insn(opcode, dst, int(g[4]), off, 0), m.start(1) + 1, False, None, 0
    imm = s32(int(g[5], 0))
    if imm is None:
        return None
    opcode, off = ALU_K[p][g[2]]
    return Insn(opcode, dst, 0, off, imm), m.start(1) + 1, False, None, 0


def _rw_more(m: re.Match[str], g: tuple[str, ...], p: str, dst: int) -> Result | None:
    col = m.start(1) + 1
    if g[12] is not None:  # skb[...]
        if p != "r" or dst != 0:
            return None
        size = SIZES[g[12]]
        if g[13] is not None:
            return Insn(LD_IND | size, 0, int(g[13]), 0, 0), col, False, None, 0
        v = s32(int(g[14], 0))
        if v is None:
            return None
        return Insn(LD_ABS | size, 0, 0, 0, v), col, False, None, 0
    if g[15] is not None:  # le/be/bswap
        if p != "r" or int(g[17]) != dst:
            return None
        return Insn(END[g[15]], dst, 0, 0, int(g[16])), col, False, None, 0
    if g[18] is not None:  # neg
        if g[18] != p or int(g[19]) != dst:
            return None
        return Insn(NEG[p], dst), col, False, None, 0
    if g[20] is not None:  # movsx
        if g[21] != p or (p == "w" and g[20] == "32"):
            return None
        return Insn(ALU_X[p][""][0], dst, int(g[22]), int(g[20]), 0), col, False, None, 0
    if g[23] is not None:  # atomic_fetch_OP((uN *)(rX + OFF), rY)
        bits = g[24]
        if g[28] != p or int(g[29]) != dst or (bits == "64") != (p == "r"):
            return None
        off = int(g[27], 0)
        if g[26] == "-":
            off = -off
        if not -0x8000 <= off <= 0x7FFF:
            return None
        return (Insn(ATOMIC | SIZES[bits], int(g[25]), dst, off, FETCH[g[23]]), col, False, None, 0)
    if g[30] is not None:  # xchg / cmpxchg
        wide = g[31] == "_64"
        if wide != (p == "r") or g[35] != p:
            return None
        off = int(g[34], 0)
        if g[33] == "-":
            off = -off
        if not -0x8000 <= off <= 0x7FFF:
            return None
        size = Size.DW if wide else Size.W
        if g[30] == "xchg":
            if g[37] is not None or int(g[36]) != dst:
                return None
            return Insn(ATOMIC | size, int(g[32]), dst, off, XCHG), col, False, None, 0
        if g[37] is None or dst != 0 or int(g[36]) != 0 or g[37] != p:
            return None
        return Insn(ATOMIC | size, int(g[32]), int(g[38]), off, CMPXCHG), col, False, None, 0
    return None


def _lock(m: re.Match[str]) -> Result | None:
    g = m.groups()
    if g[8] is not None:  # ld_pseudo rD, SRC, IMM
        src = int(g[10], 0)
        imm = s32(int(g[11], 0))
        if not 1 <= src <= 6 or imm is None:
            return None
        return Insn(LDDW, int(g[9]), src, 0, imm & 0xFFFFFFFF), m.start(9) + 1, False, None, 0
    bits, p = g[1], g[6]
    if bits not in ("32", "64") or (bits == "64" and p != "r"):
        return None
    off = int(g[4], 0)
    if g[3] == "-":
        off = -off
    if not -0x8000 <= off <= 0x7FFF:
        return None
    op = LOCK_OPS.get(g[5])
    if op is None:  # (lock ... -= rX: no such atomic; the full parser says so)
        return None
    return (Insn(ATOMIC | SIZES[bits], int(g[2]), int(g[7]), off, op), m.start(1) + 1, False,
            None, 0)


def _st(m: re.Match[str]) -> Result | None:
    _, bits, base, sign, num, p, src, imm = m.groups()
    off = int(num, 0)
    if sign == "-":
        off = -off
    if not -0x8000 <= off <= 0x7FFF:
        return None
    if p is not None:
        opcode = STORE_KEY.get(bits + p)
        if opcode is None:
            return None
        return new_tuple(Insn, (opcode, REGS[base], REGS[src], off, 0)), m.start(1) + 1, False, None, 0
    v = s32(int(imm, 0))
    if v is None:
        return None
    return new_tuple(Insn, (STORE_KEY[bits], REGS[base], 0, off, v)), m.start(1) + 1, False, None, 0


def _if(m: re.Match[str]) -> Result | None:
    _, p, d, sym, sp, s, imm, tnum, name = m.groups()
    off = 0
    if name is None:
        off = int(tnum, 0)
        if not -0x8000 <= off <= 0x7FFF:
            return None
    col = m.start(1) + 1
    ncol = m.start(9) + 1
    if sp is not None:
        if sp != p:
            return None
        return (new_tuple(Insn, (JMP_X[p][sym], REGS[d], REGS[s], off, 0)), col, name is None, name,
                ncol)
    v = s32(int(imm, 0))
    if v is None:
        return None
    return new_tuple(Insn, (JMP_K[p][sym], REGS[d], 0, off, v)), col, name is None, name, ncol


def _go(m: re.Match[str]) -> Result | None:
    word, num, name = m.groups()
    col = m.start(1) + 1
    if name is not None:
        return Insn(GOTO[word]), col, False, name, m.start(3) + 1
    v = int(num, 0)
    if word == "gotol":
        if not -0x80000000 <= v <= 0x7FFFFFFF:
            return None
        return Insn(GOTO[word], 0, 0, 0, v), col, True, None, 0
    if not -0x8000 <= v <= 0x7FFF:
        return None
    return Insn(GOTO[word], 0, 0, v, 0), col, True, None, 0


def _call(m: re.Match[str]) -> Result | None:
    v = s32(int(m.group(2), 0))
    if v is None:
        return None
    return Insn(CALL, 0, 0, 0, v), m.start(1) + 1, False, None, 0


def _exit(m: re.Match[str]) -> Result | None:
    return EXIT, m.start(1) + 1, False, None, 0


#: first character of the statement -> (regex, builder) pairs, tried in order
FAST: dict[str, tuple[tuple[Any, Callable[[re.Match[str]], Result | None]], ...]] = {
    "r": ((_ALU_RE, _alu), (_LDX_RE, _ldx), (_RW, _rw)),
    "w": ((_ALU_RE, _alu), (_LDX_RE, _ldx), (_RW, _rw)),
    "*": ((_ST, _st),), "i": ((_IF, _if),), "g": ((_GO, _go),), "m": ((_GO, _go),),
    "c": ((_CALL_RE, _call),), "e": ((_EXIT_RE, _exit),), "l": ((_LOCK, _lock),),
}

#: the two most frequent shapes' first words, each looked up once: register word ->
#: operator word -> what they make. ``if rD OP``: (destination, register-source opcode,
#: immediate-source opcode, register prefix); ``rD OP= ``: (prefix, destination, (opcode,
#: off) with a register source, with an immediate)
#: (made at the first `fast_insn`: `pybpf.asm.llvm.plain` reads short texts without them)
_IF_HEAD: dict[str, dict[str, tuple[int, int, int, str]]] = {}
_ALU_HEAD: dict[str, dict[str, tuple[str, int, tuple[int, int], tuple[int, int]]]] = {}


def _make_heads() -> None:
    _IF_HEAD.update({
        word: {sym: (i, JMP_X[p][sym], JMP_K[p][sym], p) for sym in JMP_SYM}
        for word, (p, i) in REG_WORD.items()})
    _ALU_HEAD.update({
        word: {sym + "=": (p, i, ALU_X[p][sym], ALU_K[p][sym]) for sym in ALU_SYM if sym}
        for word, (p, i) in REG_WORD.items()})


def fast_insn(line: str) -> Result | None:
    """(insn, column, has a numeric jump target, label, its column) for a common well-formed
    line, else None. (A label's column is 0 when the label is the line's last word: the
    place of its last spelling in the line.)"""
    if not _IF_HEAD:
        _make_heads()
    w = line.split()
    n = len(w)
    # the two most frequent shapes first: a conditional jump to a label, a compound ALU
    # operation (any other spelling of them goes on to `by_words`, which says the same)
    if n == 6:
        ops = _IF_HEAD.get(w[1])
        if ops is not None and w[0] == "if" and w[4] == "goto":
            head = ops.get(w[2])
            target = w[5]
            if head is not None and target[0] not in NUM_START and \
                    (NAMES.get(target) or name_word(target)):
                s = REG_WORD.get(w[3])
                if s is not None:
                    if s[0] != head[3]:
                        return None
                    return (new_tuple(Insn, (head[1], head[0], s[1], 0, 0)), line.find("if") + 1,
                            False, target, 0)
                v = IMMS.get(w[3], False)
                if v is False:
                    v = imm_word(w[3])
                if v is not None:
                    return (new_tuple(Insn, (head[2], head[0], 0, 0, v)), line.find("if") + 1,
                            False, target, 0)
    elif n == 3:
        alu = _ALU_HEAD.get(w[0])
        if alu is not None:
            entry = alu.get(w[1])
            if entry is not None:
                s = REG_WORD.get(w[2])
                if s is not None:
                    if s[0] != entry[0]:
                        return None
                    opcode, off = entry[2]
                    return new_tuple(Insn, (opcode, entry[1], s[1], off, 0)), line.find(w[0]) + 1, \
                        False, None, 0
                v = IMMS.get(w[2], False)
                if v is False:
                    v = imm_word(w[2])
                if v is not None:
                    opcode, off = entry[3]
                    return new_tuple(Insn, (opcode, entry[1], 0, off, v)), line.find(w[0]) + 1, \
                        False, None, 0
    found = by_words(line, w)
    if found is not False:
        return found
    if not w:
        return None
    c = w[0][0]
    if (c == "r" or c == "w") and len(w) > 2 and w[1] == "=":
        # an assignment the words did not settle: its right-hand side's first character
        # tells a load (one regex) from the other shapes (one regex for all)
        rhs = w[2]
        if rhs[:2] == "*(":
            if "skb" in line:
                m = _SKB_RE.fullmatch(line)
                return _skb(m) if m is not None else None
            m = _LDX_RE.fullmatch(line)
            return _ldx(m) if m is not None else None
        for start, shape_re, shape_build in _ASSIGN_SHAPES:
            if rhs.startswith(start):
                m = shape_re.fullmatch(line)
                return shape_build(m) if m is not None else None
        m = _RW.fullmatch(line)
        return _rw(m) if m is not None else None
    shapes = FAST.get(c)
    if shapes is None:
        return None
    for regex, build in shapes:
        m = regex.fullmatch(line)
        if m is not None:
            return build(m)
    return None


