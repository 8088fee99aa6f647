"""The LLVM-syntax lines read by their words alone, without a regex: the opcode tables and
`by_words`, shared by the assembler's fast path (`pybpf.asm.llvm.fast`) and the reader of
short plain texts (`pybpf.asm.llvm.plain`, which needs none of the fast path's regexes).

A line whose whitespace-separated words are exactly a shape's (``r1 += 7``, ``if r1 > r2
goto L3``, ``r1 = be16 r1``) is read word by word from tables; numbers and names are
checked by the same rules as the fast path's regexes, once per distinct spelling.

>>> by_words("r1 += 7", "r1 += 7".split())
(Insn(opcode=0x07, dst=1, src=0, off=0, imm=7), 1, False, None, 0)
"""

from __future__ import annotations

from ...isa.insn import Insn
from ...isa.opcodes import LDDW, AluOp, AtomicOp, Class, JmpOp, Mode, Size, Source

TYPE_CHECKING = False  # (not typing's: the assembler is on `pybpf asm`'s start-up path)
if TYPE_CHECKING:
    from typing import Literal

ALU_SYM = {
    "+": AluOp.ADD, "-": AluOp.SUB, "*": AluOp.MUL, "/": AluOp.DIV, "|": AluOp.OR,
    "&": AluOp.AND, "<<": AluOp.LSH, ">>": AluOp.RSH, "%": AluOp.MOD, "^": AluOp.XOR,
    "s>>": AluOp.ARSH, "s/": AluOp.DIV, "s%": AluOp.MOD, "": AluOp.MOV,
}
JMP_SYM = {
    "==": JmpOp.JEQ, ">": JmpOp.JGT, ">=": JmpOp.JGE, "&": JmpOp.JSET, "!=": JmpOp.JNE,
    "s>": JmpOp.JSGT, "s>=": JmpOp.JSGE, "<": JmpOp.JLT, "<=": JmpOp.JLE, "s<": JmpOp.JSLT,
    "s<=": JmpOp.JSLE,
}
#: an access width in bits as the syntax spells it (``u32``: "32") -> its size field
SIZES = {"8": Size.B, "16": Size.H, "32": Size.W, "64": Size.DW}

#: [register prefix][operator] -> (opcode, off), register and immediate sources
ALU_X: dict[str, dict[str, tuple[int, int]]] = {"r": {}, "w": {}}
ALU_K: dict[str, dict[str, tuple[int, int]]] = {"r": {}, "w": {}}
for _p, _cls in (("r", int(Class.ALU64)), ("w", int(Class.ALU))):
    _x, _k = ALU_X[_p], ALU_K[_p]
    for _sym, _op in ALU_SYM.items():
        _off = 1 if _sym in ("s/", "s%") else 0
        _x[_sym] = (_cls | _op | Source.X, _off)
        _k[_sym] = (_cls | _op | Source.K, _off)
#: (register prefix + u/s + bits) -> LDX opcode
LDX_KEY: dict[str, int] = {}
#: (bits + register prefix, "" for an immediate) -> ST/STX opcode
STORE_KEY: dict[str, int] = {}
for _bits, _size in SIZES.items():
    LDX_KEY["ru" + _bits] = Class.LDX | Mode.MEM | _size
    STORE_KEY[_bits] = Class.ST | Mode.MEM | _size
    STORE_KEY[_bits + "r"] = Class.STX | Mode.MEM | _size
    if _size != Size.DW:
        LDX_KEY["wu" + _bits] = Class.LDX | Mode.MEM | _size
        LDX_KEY["rs" + _bits] = Class.LDX | Mode.MEMSX | _size
        STORE_KEY[_bits + "w"] = Class.STX | Mode.MEM | _size
#: [register prefix][operator] -> conditional jump opcode, register and immediate sources
JMP_X: dict[str, dict[str, int]] = {"r": {}, "w": {}}
JMP_K: dict[str, dict[str, int]] = {"r": {}, "w": {}}
for _p, _cls in (("r", int(Class.JMP)), ("w", int(Class.JMP32))):
    _jx, _jk = JMP_X[_p], JMP_K[_p]
    for _sym, _jop in JMP_SYM.items():
        _jx[_sym] = _cls | _jop | Source.X
        _jk[_sym] = _cls | _jop | Source.K
GOTO = {"goto": int(Class.JMP | JmpOp.JA), "may_goto": int(Class.JMP | JmpOp.JCOND),
         "gotol": int(Class.JMP32 | JmpOp.JA)}
EXIT = Insn(int(Class.JMP | JmpOp.EXIT))
CALL = int(Class.JMP | JmpOp.CALL)

_I32_MIN, _I32_MAX = -0x80000000, 0xFFFFFFFF


def s32(v: int) -> int | None:
    """An immediate as the instruction's signed 32-bit ``imm`` holds it: -2**31..2**32-1
    is accepted (above 0x7fffffff it wraps, as llvm-mc encodes 0xffffffff), anything else
    is None (the full parser says what is wrong with it).

    >>> s32(0xFFFFFFFF), s32(-0x80000000), s32(1 << 32)
    (-1, -2147483648, None)
    """
    if not _I32_MIN <= v <= _I32_MAX:
        return None
    return v - 0x100000000 if v > 0x7FFFFFFF else v


new_tuple = tuple.__new__  # Insn(...) without its checks: fields here are canonical already
REGS = {str(_i): _i for _i in range(11)}

LD_ABS = int(Class.LD | Mode.ABS)
XCHG = int(AtomicOp.XCHG)
CMPXCHG = int(AtomicOp.CMPXCHG)
LD_IND = int(Class.LD | Mode.IND)
ATOMIC = int(Class.STX | Mode.ATOMIC)
END = {"le": int(Class.ALU | AluOp.END | Source.K), "be": int(Class.ALU | AluOp.END | Source.X),
        "bswap": int(Class.ALU64 | AluOp.END | Source.K)}
NEG = {"r": int(Class.ALU64 | AluOp.NEG), "w": int(Class.ALU | AluOp.NEG)}
FETCH = {"add": int(AtomicOp.FETCH_ADD), "or": int(AtomicOp.FETCH_OR),
          "and": int(AtomicOp.FETCH_AND), "xor": int(AtomicOp.FETCH_XOR)}
#: the operator of ``lock *(uN *)(rD + OFF) OP= rS`` -> its atomic operation (imm)
LOCK_OPS = {"+": int(AtomicOp.ADD), "|": int(AtomicOp.OR), "&": int(AtomicOp.AND),
             "^": int(AtomicOp.XOR)}

#: the instruction, its 1-based column, has a numeric jump target?, label target or None,
#: the label's column
Result = tuple[Insn, int, bool, "str | None", int]


# -- shapes told by their words alone ---------------------------------------------------
# A line whose whitespace-separated words are exactly those of a shape below needs no
# regex: each word is looked up in a table (numbers and names are checked by the same
# patterns as the regexes', once per distinct spelling).

#: register word -> (prefix, number)
REG_WORD = {p + str(i): (p, i) for p in "rw" for i in range(11)}
_ALU_WORD = {sym + "=": sym for sym in ALU_SYM}
_NEG_WORD = {"-" + word: reg for word, reg in REG_WORD.items()}
#: "(s8)r2" -> (8, "r", 2)
_MOVSX_WORD = {f"(s{bits}){word}": (bits, p, i) for bits in (8, 16, 32)
               for word, (p, i) in REG_WORD.items()}
_END_WORD = {f"{kind}{bits}": (kind, bits) for kind in ("le", "be", "bswap") for bits in (16, 32, 64)}
_JMP_WORD = {sym: sym for sym in JMP_SYM}
NUM_START = frozenset("+-0123456789")
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.$")


def is_name(word: str) -> bool:
    """``word`` is a label or symbol name: what the regex ``[A-Za-z_.$][\\w.$]*`` matches
    whole (``\\w`` is what `str.isalnum` says, and ``_``), read without a regex."""
    if word[:1] not in _NAME_START:
        return False
    rest = word[1:]
    return not rest or rest.replace("_", "a").replace(".", "a").replace("$", "a").isalnum()


NAMES: dict[str, bool] = {}  # word -> is a label name


def _num(word: str) -> int | None:
    """The value of a number word the fast path reads (as `_N` spells them), else None."""
    if not word.lstrip("+-")[:1].isdigit():  # (-r1, L12: no exception raised for them)
        return None
    try:
        v = int(word, 0)
    except ValueError:
        return None
    # int() also reads 1_000, 0o17 and other scripts' digits: the full parser decides those
    if "_" in word or "o" in word or "O" in word or not word.isascii():
        return None
    return v


IMMS: dict[str, int | None] = {}  # word -> its imm field, None when the fast path declines


def imm_word(word: str) -> int | None:
    """The ``imm`` field of an immediate word (`_num`, then `s32`), remembered per spelling."""
    v = IMMS.get(word, False)
    if v is False:
        if len(IMMS) >= 1 << 16:
            IMMS.clear()
        n = _num(word)
        v = IMMS[word] = None if n is None else s32(n)
    return v


def name_word(word: str) -> bool:
    ok = NAMES.get(word)
    if ok is None:
        if len(NAMES) >= 1 << 16:
            NAMES.clear()
        ok = NAMES[word] = is_name(word)
    return ok


def by_words(line: str, w: list[str]) -> Result | None | Literal[False]:
    """The instruction of a line of words ``w``, None when the line is malformed for the
    fast path (the full parser says why), False when the words are no shape of this table."""
    n = len(w)
    if n == 3:  # rD OP= rS | rD OP= IMM
        d = REG_WORD.get(w[0])
        sym = _ALU_WORD.get(w[1])
        if d is None or sym is None:
            return False
        p, dst = d
        s = REG_WORD.get(w[2])
        if s is not None:
            if s[0] != p:
                return None
            opcode, off = ALU_X[p][sym]
            return new_tuple(Insn, (opcode, dst, s[1], off, 0)), line.find(w[0]) + 1, False, None, 0
        third = w[2]
        if not sym and (third[0] == "-" or third[0] == "("):
            neg = _NEG_WORD.get(third)  # rD = -rD
            if neg is not None:
                if neg != d:
                    return None
                return new_tuple(Insn, (NEG[p], dst, 0, 0, 0)), line.find(w[0]) + 1, False, None, 0
            sx = _MOVSX_WORD.get(third)  # rD = (sN)rS
            if sx is not None:
                bits, sp, sr = sx
                if sp != p or (p == "w" and bits == 32):
                    return None
                return (new_tuple(Insn, (ALU_X[p][""][0], dst, sr, bits, 0)), line.find(w[0]) + 1,
                        False, None, 0)
        v = imm_word(third)
        if v is None:
            return False
        opcode, off = ALU_K[p][sym]
        return new_tuple(Insn, (opcode, dst, 0, off, v)), line.find(w[0]) + 1, False, None, 0
    if n == 6:  # if rD OP (rS|IMM) goto TARGET
        if w[0] != "if" or w[4] != "goto":
            return False
        d = REG_WORD.get(w[1])
        sym = _JMP_WORD.get(w[2])
        if d is None or sym is None:
            return False
        p, dst = d
        target = w[5]
        if target[0] in NUM_START:
            num = _num(target)
            if num is None:
                return False
            off = num
            if not -0x8000 <= off <= 0x7FFF:
                return None
            name: str | None = None
        else:
            if not name_word(target):
                return False
            name = target
            off = 0
        col = line.find("if") + 1
        ncol = line.rfind(target) + 1 if name is not None else 0
        s = REG_WORD.get(w[3])
        if s is not None:
            if s[0] != p:
                return None
            return (new_tuple(Insn, (JMP_X[p][sym], dst, s[1], off, 0)), col, name is None, name,
                    ncol)
        v = imm_word(w[3])
        if v is None:
            return False
        return new_tuple(Insn, (JMP_K[p][sym], dst, 0, off, v)), col, name is None, name, ncol
    if n == 2:  # goto/gotol/may_goto TARGET, call IMM
        word, target = w
        go = GOTO.get(word)
        col = line.find(word) + 1
        if go is not None:
            if target[0] not in NUM_START:
                if not name_word(target):
                    return False
                return new_tuple(Insn, (go, 0, 0, 0, 0)), col, False, target, line.rfind(target) + 1
            num = _num(target)
            if num is None:
                return False
            v = num
            if word == "gotol":
                if not -0x80000000 <= v <= 0x7FFFFFFF:
                    return None
                return new_tuple(Insn, (go, 0, 0, 0, v)), col, True, None, 0
            if not -0x8000 <= v <= 0x7FFF:
                return None
            return new_tuple(Insn, (go, 0, 0, v, 0)), col, True, None, 0
        if word == "call" and target[0] in NUM_START:
            v = imm_word(target)
            if v is None:
                return False
            return new_tuple(Insn, (CALL, 0, 0, 0, v)), col, False, None, 0
        return False
    if n == 1:
        return (EXIT, line.find("exit") + 1, False, None, 0) if w[0] == "exit" else False
    if n == 4 and w[1] == "=" and w[2] in _END_WORD:  # rD = be16 rD
        d = REG_WORD.get(w[0])
        if d is None:
            return False
        if d[0] != "r" or w[3] != w[0]:
            return None
        kind, bits = _END_WORD[w[2]]
        return new_tuple(Insn, (END[kind], d[1], 0, 0, bits)), line.find(w[0]) + 1, False, None, 0
    if n == 4 and w[3] == "ll" and w[1] == "=":  # rD = IMM ll
        d = REG_WORD.get(w[0])
        if d is None or d[0] != "r" or w[2][0] not in NUM_START:
            return False
        v = _num(w[2])
        if v is None or not -(1 << 63) <= v < (1 << 64):
            return False
        return Insn(LDDW, d[1], 0, 0, v), line.find(w[0]) + 1, False, None, 0
    return False


