"""Parse the LLVM / kernel-log assembly syntax into a `ProgramSpec`.

Accepts what ``llvm-mc-19 -triple bpfel -mcpu=v4`` accepts (``r0 = 1``,
``w1 += w2``, ``r1 = *(u32 *)(r2 + 8)``, ``if r1 > 5 goto +2``,
``lock *(u64 *)(r10 - 8) += r1``, ``r0 = cmpxchg_64(r1 + 8, r0, r2)``,
``r0 = 0x1122334455667788 ll``...), the lines of a kernel verifier log
(``12: (85) call bpf_map_lookup_elem#1``, ``goto pc+2``, ``(r10 -8)``) and a few
pybpf forms for what LLVM cannot spell:

- ``call NAME``: a label of the program (local call, ``src=1``), else a helper
  (``bpf_map_lookup_elem`` or ``map_lookup_elem``), else a kfunc (``src=2``,
  ``Ref.kfunc``); a name within two edits of a helper's (``bpf_map_lookup_elm``) that is
  no known kfunc is an error with a did-you-mean; ``call kfunc(NAME)`` is a kfunc call
  whatever the name; ``call pc+3`` is a numeric local call, ``call kfunc(1234)``
  a kfunc by BTF id (``call kfunc(1234, 1)`` with a module BTF index in off);
- ``r1 = NAME ll``: a label (``src=4`` function pointer) or else a map
  (``src=1``, ``Ref.map``; the map should be declared with ``.map``);
  ``r1 = map_value(NAME) + 8 ll``: the address of a map value (``src=2``);
  ``r1 = NAME + 8 ll``: a map value when NAME is a declared map, else a global
  variable (``Ref(GLOBAL)``); ``r1 = btf_id(NAME) ll``: a kernel variable
  (``src=3``, ``Ref(KSYM)``); the value offset is also put in the upper 32 bits
  of the immediate, where the kernel reads it;
- ``r1 = load_acquire((u64 *)(r2 + 0))`` and ``store_release((u8 *)(r1 + 0), w2)``
  (the syntax of LLVM 20+);
- ``ld_pseudo r1, 2, 7`` takes a 64-bit immediate when it does not fit 32 bits;
  ``r0 = *(u32 *)skb[r1 + 5]`` keeps LD_IND's immediate;
- ``.map NAME TYPE key=4 value=8 max_entries=1024 [flags=N] [inner=NAME]``;
- ``r2 = w2``, which ``clang -S`` prints for a zero-extending 32-bit move and
  llvm-mc-19 rejects, assembles as ``w2 = w2`` (what clang encodes).

Comments start with ``#``, ``//`` or ``;`` (LLVM reads ``;`` as a statement
separator; pybpf reads it as the kernel log and objdump ``-S`` do). Every
malformed line raises `AsmError` with file, line, column and what was expected.

>>> p = parse("r0 = 42\\nexit")
>>> p.insns[0]
Insn(opcode=0xb7, dst=0, src=0, off=0, imm=42)
>>> parse("goto out\\nexit\\nout: exit").insns[0].off
1
"""

from __future__ import annotations

import re

from ...errors import AsmError
from ...isa import MapSpec, ProgramSpec, helper_id
from ...isa.insn import Insn
from ...isa.opcodes import (
    LDDW,
    AluOp,
    AtomicOp,
    CallSrc,
    Class,
    JmpOp,
    Mode,
    PseudoSrc,
    Size,
    Source,
)
from .fast import LOCK_OPS, SIZES, LazyRegex
from .lines import lines_of, read_long, read_short
from .symbols import PendingFields, check_numeric, resolve_names, slot_offsets
from .words import ALU_SYM as _ALU_SYM
from .words import JMP_SYM as _JMP_SYM


class _Err(Exception):
    """A parse error at a position of the statement text (converted to AsmError)."""

    def __init__(self, message: str, pos: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


# -- tables (text -> ISA enum) ---------------------------------------------------------
_ATOMIC_NAME = {"add": AtomicOp.FETCH_ADD, "or": AtomicOp.FETCH_OR, "and": AtomicOp.FETCH_AND,
                "xor": AtomicOp.FETCH_XOR}
_MNEMONICS = ("if", "goto", "gotol", "may_goto", "call", "callx", "exit", "lock", "ld_pseudo",
              "store_release", "r0-r10 / w0-w10 assignment", "*(uN *)(rX + off) store")

_NUM = r"[-+]?\s*(?:0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)"
_MEM = r"\(\s*r(\d+)\s*([-+])\s*([-+]?\s*\w+)\s*\)"  # (r1 + 8), (r10 -8), (r1 + -8)
_MEM_BARE = r"r(\d+)\s*([-+])\s*([-+]?\s*\w+)"  # r1 + 8 (xchg/cmpxchg operands)
_IDENT = r"[A-Za-z_.$][\w.$]*"

_ASSIGN = LazyRegex(r"([rwRW])(\d+)\s*(s>>|s/|s%|<<|>>|[-+*/|&%^]|)=\s*(.*)")
_IF = LazyRegex(r"if\s+([rwRW])(\d+)\s*(==|!=|s>=|s<=|>=|<=|s>|s<|>|<|&)\s*(.+?)\s+goto\s+(\S+)")
_STORE = LazyRegex(r"\*\s*\(\s*u(8|16|32|64)\s*\*\s*\)\s*" + _MEM + r"\s*=\s*(.+)")
_LOCK = LazyRegex(r"lock\s+\*\s*\(\s*u(8|16|32|64)\s*\*\s*\)\s*" + _MEM
                   + r"\s*([-+|&^])=\s*([rwRW])(\d+)")
_REG = LazyRegex(r"([rwRW])(\d+)")
_LOAD = LazyRegex(r"\*\s*\(\s*([us])(8|16|32|64)\s*\*\s*\)\s*(?:" + _MEM
                   + r"|skb\s*\[\s*(?:r(\d+)(?:\s*\+\s*(" + _NUM + r"))?|(" + _NUM + r"))\s*\])")
_MOVSX = LazyRegex(r"\(\s*s(8|16|32)\s*\)\s*([rwRW])(\d+)")
_ENDIAN = LazyRegex(r"(le|be|bswap)(16|32|64)\s+([rwRW])(\d+)")
_NEG = LazyRegex(r"-\s*([rwRW])(\d+)")
_FETCH = LazyRegex(r"atomic(64)?_fetch_(add|or|and|xor)\(\s*\(\s*u(32|64)\s*\*\s*\)\s*" + _MEM
                    + r"\s*,\s*([rwRW])(\d+)\s*\)")
_XCHG = LazyRegex(r"(?:xchg(_64|32_32)\(\s*" + _MEM_BARE + r"|atomic(64)?_xchg\(\s*\(\s*u(32|64)\s*\*\s*\)\s*"
                   + _MEM + r")\s*,\s*([rwRW])(\d+)\s*\)")
_CMPXCHG = LazyRegex(r"(?:cmpxchg(_64|32_32)\(\s*" + _MEM_BARE
                      + r"|atomic(64)?_cmpxchg\(\s*\(\s*u(32|64)\s*\*\s*\)\s*" + _MEM
                      + r")\s*,\s*([rwRW])(\d+)\s*,\s*([rwRW])(\d+)\s*\)")
_LOAD_ACQ = LazyRegex(r"load_acquire\(\s*\(\s*u(8|16|32|64)\s*\*\s*\)\s*" + _MEM + r"\s*\)")
_STORE_REL = LazyRegex(r"store_release\(\s*\(\s*u(8|16|32|64)\s*\*\s*\)\s*" + _MEM
                        + r"\s*,\s*([rwRW])(\d+)\s*\)")
_LDDW_SYM = LazyRegex(r"(?:map_value\(\s*(" + _IDENT + r")\s*\)|btf_id\(\s*(" + _IDENT + r")\s*\)|("
                       + _IDENT + r"))\s*(?:([-+])\s*("
                       + _NUM + r"))?\s+ll")
_LDDW_NUM = LazyRegex(r"(" + _NUM + r")\s+ll")
_PSEUDO = LazyRegex(r"ld_pseudo\s+r(\d+)\s*,\s*(" + _NUM + r")\s*,\s*(" + _NUM + r")")
_TARGET_NUM = LazyRegex(r"(?:pc(?=[-+]))?([-+]?\s*(?:0[xX][0-9a-fA-F]+|0[bB][01]+|\d+))")
_LABEL_NAME = LazyRegex(_IDENT)
_LABEL_DEF = LazyRegex(r"(" + _IDENT + r")\s*:\s*(.*)")
_KLOG = LazyRegex(r"(?:\d+\s*:\s*)?\(([0-9a-fA-F]{2})\)\s*(.*)")
_KCALL = LazyRegex(r"(" + _IDENT + r"|kernel-function)#(-?\d+)")
_KFUNC_NAME = LazyRegex(r"kfunc\(\s*[A-Za-z_]\w*\s*\)")
_KFUNC = LazyRegex(r"kfunc\(\s*(" + _NUM + r")\s*(?:,\s*(" + _NUM + r")\s*)?\)")
_WORD = LazyRegex(r"([A-Za-z_]+)\s*")
_MAP_ARG = LazyRegex(r"(\w+)=(\S+)")


_OCTAL = re.compile(r"[-+]?0[0-7]+")


def _int(text: str, pos: int, what: str = "an immediate") -> int:
    """A number as LLVM reads it: decimal, 0x hex, 0b binary, or octal with a leading 0."""
    text = text.replace(" ", "")
    try:
        if _OCTAL.fullmatch(text):
            return int(text, 8)
        return int(text, 0)
    except ValueError:
        raise _Err(f"expected {what} (decimal, 0x hex, 0b binary or 0 octal), got {text!r}",
                   pos) from None


def _imm32(text: str, pos: int) -> int:
    v = _int(text, pos)
    if not -0x80000000 <= v <= 0xFFFFFFFF:
        raise _Err(f"immediate {text} out of range: expected a 32-bit value "
                   "(-2147483648..4294967295)", pos)
    return v


def _off16(sign: str, text: str, pos: int) -> int:
    v = _int(text, pos, "an offset")
    if sign == "-":
        v = -v
    if not -0x8000 <= v <= 0x7FFF:
        raise _Err(f"offset {v} out of range: expected a signed 16-bit value (-32768..32767)", pos)
    return v


def _reg(num: str, pos: int) -> int:
    n = int(num)
    if n > 10:
        raise _Err(f"bad register r{n}: expected r0-r10", pos)
    return n


class _Parser:
    """One statement at a time; the results accumulate on the `ProgramSpec`."""

    def __init__(self, filename: str | None) -> None:
        self.filename = filename
        self.prog = ProgramSpec()
        self.pending: list[PendingFields] = []
        self.hint: int | None = None  # the (xx) opcode of a kernel log line

    # -- error helpers -----------------------------------------------------------------
    def error(self, message: str, line: int, column: int, source: str) -> AsmError:
        return AsmError(message, line=line, column=column, filename=self.filename, source=source)

    # -- lines -------------------------------------------------------------------------
    def line(self, raw: str, lineno: int, idx: int) -> tuple[Insn, int, bool, bool] | None:
        """One line the fast path did not read, whose instruction (if any) would be number
        ``idx``: labels are defined, directives applied, a symbolic operand goes to
        ``pending``. Returns None for a line without an instruction, else (insn, column,
        has a numeric jump target, the line alone decides it: another line of the same
        text is the same instruction)."""
        body = raw
        if "#" in body or "/" in body or ";" in body:
            body = _strip_comment(body)
        stmt = body.strip()
        if not stmt:
            return None
        base = body.index(stmt[0])
        cacheable = raw is body
        labels = self.prog.labels
        try:
            while True:  # labels may prefix an instruction on the same line
                c = stmt[0]
                if ":" in stmt and not c.isdigit():
                    m = _LABEL_DEF.fullmatch(stmt)
                    if m is not None:
                        name = m.group(1)
                        if name in labels:
                            raise _Err(f"label {name!r} defined twice", 0)
                        labels[name] = idx
                        cacheable = False
                        rest = m.group(2)
                        if not rest:
                            return None
                        base += m.start(2)
                        stmt = rest
                        continue
                if c == ".":
                    self.directive(stmt)
                    return None
                self.hint = None
                if c.isdigit() or c == "(":
                    k = _KLOG.fullmatch(stmt)
                    if k is None:
                        raise _Err("expected an instruction; a kernel log line looks like "
                                   "'12: (b7) r0 = 1'", 0)
                    self.hint = int(k.group(1), 16)
                    cacheable = False
                    base += k.start(2)
                    stmt = k.group(2).strip()
                    if not stmt:
                        raise _Err("kernel log line without an instruction", 0)
                insn, name, npos, extra = self.statement(stmt)
                if self.hint is not None and insn.opcode != self.hint:
                    raise _Err(f"instruction text encodes opcode {insn.opcode:#04x} but the log "
                               f"says ({self.hint:02x})", 0)
                if name is not None:
                    kind, _, ident = name.partition(":")
                    self.pending.append((idx, ident, kind, lineno, base + npos + 1, extra))
                    return insn, base + 1, False, False
                return insn, base + 1, bool(extra), cacheable
        except _Err as e:
            raise self.error(e.message, lineno, base + e.pos + 1, raw) from None

    # -- statements ------------------------------------------------------------------
    def statement(self, text: str) -> tuple[Insn, str | None, int, int]:
        """Parse one instruction (comment, labels and directives already stripped).

        Returns (insn, "kind:name" of a symbolic operand or None, its position, extra):
        extra is 1 for a numeric jump target (checked later) or a value offset.
        """
        c = text[0]
        if c in "rwRW":
            m = _ASSIGN.fullmatch(text)
            if m is not None:
                return self.assign(m)
        elif c == "i":
            m = _IF.fullmatch(text)
            if m is not None:
                return self.cond_jump(m)
        elif c == "*":
            m = _STORE.fullmatch(text)
            if m is not None:
                return self.store(m)
        elif c == "e" and text == "exit":
            return (Insn(Class.JMP | JmpOp.EXIT), None, 0, 0)
        elif c in "gcmls":
            return self.keyword(text)
        raise self.diagnose(text)

    def assign(self, m: re.Match[str]) -> tuple[Insn, str | None, int, int]:
        p, dnum, sym, rhs = m.group(1, 2, 3, 4)
        dst = _reg(dnum, m.start(1))
        is64 = p in "rR"
        rpos = m.start(4)
        if sym:  # compound ALU op: rhs is a register or an immediate
            op = _ALU_SYM[sym]
            off = 1 if sym[0] == "s" and sym != "s>>" else 0
            cls = Class.ALU64 if is64 else Class.ALU
            r = _REG.fullmatch(rhs)
            if r is not None:
                self.same_width(p, r.group(1), rpos)
                return (Insn(cls | op | Source.X, dst, _reg(r.group(2), rpos), off, 0), None, 0, 0)
            return (Insn(cls | op, dst, 0, off, _imm32(rhs, rpos)), None, 0, 0)
        c = rhs[:1]
        if c in ("r", "w", "R", "W"):
            r = _REG.fullmatch(rhs)
            if r is not None:
                if is64 and r.group(1) in "wW":  # clang -S prints the zero-extending w-move so
                    return (Insn(Class.ALU | AluOp.MOV | Source.X, dst, _reg(r.group(2), rpos)),
                            None, 0, 0)
                self.same_width(p, r.group(1), rpos)
                cls = Class.ALU64 if is64 else Class.ALU
                return (Insn(cls | AluOp.MOV | Source.X, dst, _reg(r.group(2), rpos)), None, 0, 0)
        if rhs.endswith("ll") or self.hint == LDDW:
            return self.lddw(p, dst, rhs, rpos)
        if c.isdigit() or c in ("-", "+"):
            n = _NEG.fullmatch(rhs)
            if n is not None:
                self.same_width(p, n.group(1), rpos)
                if _reg(n.group(2), rpos) != dst:
                    raise _Err(f"negation is in place: expected -{p}{dst}", rpos)
                return (Insn((Class.ALU64 if is64 else Class.ALU) | AluOp.NEG, dst), None, 0, 0)
            cls = Class.ALU64 if is64 else Class.ALU
            return (Insn(cls | AluOp.MOV, dst, 0, 0, _imm32(rhs, rpos)), None, 0, 0)
        if c == "*":
            return self.load(p, dst, rhs, rpos)
        if c == "(":
            x = _MOVSX.fullmatch(rhs)
            if x is None:
                raise _Err("expected a sign-extending move like (s8)r2, (s16)r2 or (s32)r2", rpos)
            self.same_width(p, x.group(2), rpos)
            width = int(x.group(1))
            if width == 32 and not is64:
                raise _Err("(s32) needs a 64-bit destination: expected r registers", rpos)
            cls = Class.ALU64 if is64 else Class.ALU
            return (Insn(cls | AluOp.MOV | Source.X, dst, _reg(x.group(3), rpos), width), None, 0, 0)
        return self.assign_call(p, dst, rhs, rpos)

    def same_width(self, want: str, got: str, pos: int) -> None:
        if want.lower() != got.lower():
            raise _Err(f"register width mismatch: expected a {want.lower()} register "
                       f"({'64' if want in 'rR' else '32'}-bit), got {got.lower()}", pos)

    def lddw(self, p: str, dst: int, rhs: str, rpos: int) -> tuple[Insn, str | None, int, int]:
        if p not in "rR":
            raise _Err("a 64-bit load (ll) needs an r register", rpos)
        m = _LDDW_NUM.fullmatch(rhs)
        if m is None and self.hint == LDDW and not rhs.endswith("ll"):
            m = re.fullmatch("(" + _NUM + ")", rhs)
        if m is not None:
            v = _int(m.group(1), rpos)
            if not -(1 << 63) <= v < (1 << 64):
                raise _Err(f"immediate {m.group(1)} out of range: expected a 64-bit value", rpos)
            return (Insn(LDDW, dst, 0, 0, v), None, 0, 0)
        s = _LDDW_SYM.fullmatch(rhs)
        if s is None:
            raise _Err("expected NUMBER ll, NAME ll, NAME + OFFSET ll or map_value(NAME) + OFFSET ll",
                       rpos)
        value_name, ksym, name, sign, num = s.group(1, 2, 3, 4, 5)
        off = 0
        if ksym is not None:
            if num is not None:
                raise _Err("btf_id(NAME) takes no offset", rpos + s.start(5))
            return (Insn(LDDW, dst, PseudoSrc.BTF_ID), "ksym:" + ksym, rpos + s.start(2), 0)
        if num is not None:
            off = _int(num, rpos + s.start(5))
            if sign == "-":
                off = -off
            if not -0x80000000 <= off <= 0x7FFFFFFF:
                raise _Err(f"value offset {off} out of range: expected a signed 32-bit value",
                           rpos + s.start(5))
        if value_name is not None:
            imm = (off & 0xFFFFFFFF) << 32
            return (Insn(LDDW, dst, PseudoSrc.MAP_VALUE, 0, imm), "value:" + value_name,
                    rpos + s.start(1), off)
        if num is not None:
            imm = (off & 0xFFFFFFFF) << 32
            return (Insn(LDDW, dst, PseudoSrc.MAP_VALUE, 0, imm), "global:" + name,
                    rpos + s.start(3), off)
        return (Insn(LDDW, dst, PseudoSrc.MAP_FD), "lddw:" + name, rpos + s.start(3), 0)

    def load(self, p: str, dst: int, rhs: str, rpos: int) -> tuple[Insn, str | None, int, int]:
        m = _LOAD.fullmatch(rhs)
        if m is None:
            raise _Err("expected *(uN *)(rX + OFF), *(sN *)(rX + OFF) or *(uN *)skb[...]", rpos)
        sign, bits = m.group(1, 2)
        size = SIZES[bits]
        if m.group(3) is None:  # skb[...]: LD_ABS / LD_IND
            if sign == "s" or size == Size.DW:
                raise _Err("packet loads (skb[...]) exist as u8, u16 and u32 only", rpos)
            if dst != 0 or p not in "rR":
                raise _Err("packet loads (skb[...]) always load into r0: expected r0", 0)
            if m.group(8) is not None:
                return (Insn(Class.LD | Mode.ABS | size, 0, 0, 0, _imm32(m.group(8), rpos)),
                        None, 0, 0)
            src = _reg(m.group(6), rpos + m.start(6))
            imm = _imm32(m.group(7), rpos) if m.group(7) is not None else 0
            return (Insn(Class.LD | Mode.IND | size, 0, src, 0, imm), None, 0, 0)
        src = _reg(m.group(3), rpos + m.start(3))
        off = _off16(m.group(4), m.group(5), rpos + m.start(5))
        if sign == "s":
            if size == Size.DW:
                raise _Err("sign-extending loads exist as s8, s16 and s32 only", rpos)
            if p not in "rR":
                raise _Err("sign-extending loads need a 64-bit destination: expected an r register",
                           0)
            return (Insn(Class.LDX | Mode.MEMSX | size, dst, src, off), None, 0, 0)
        if size == Size.DW and p not in "rR":
            raise _Err("a u64 load needs an r register", 0)
        return (Insn(Class.LDX | Mode.MEM | size, dst, src, off), None, 0, 0)

    def assign_call(self, p: str, dst: int, rhs: str, rpos: int) -> tuple[Insn, str | None, int, int]:
        """``rX = le16 rX``, atomics with a result, load_acquire."""
        e = _ENDIAN.match(rhs)
        if e is not None and e.end() == len(rhs):
            kind, bits, rp, rn = e.group(1, 2, 3, 4)
            if p not in "rR" or rp not in "rR":
                raise _Err(f"{kind}{bits} works on r registers: expected r{dst} = {kind}{bits} r{dst}",
                           0)
            if _reg(rn, rpos) != dst:
                raise _Err(f"byte swap is in place: expected r{dst} = {kind}{bits} r{dst}", rpos)
            if kind == "bswap":
                return (Insn(Class.ALU64 | AluOp.END, dst, 0, 0, int(bits)), None, 0, 0)
            order = Source.X if kind == "be" else Source.K
            return (Insn(Class.ALU | AluOp.END | order, dst, 0, 0, int(bits)), None, 0, 0)
        if rhs.startswith("atomic") and "fetch" in rhs:
            m = _FETCH.fullmatch(rhs)
            if m is None:
                raise _Err("expected atomic_fetch_OP((uN *)(rX + OFF), rY)", rpos)
            size = SIZES[m.group(3)]
            val = _reg(m.group(8), rpos + m.start(8))
            self.atomic_width(size, p, m.group(7), rpos)
            if val != dst:
                raise _Err(f"atomic_fetch_{m.group(2)} writes the old value back into its value "
                           f"register: expected {p}{dst} = atomic_fetch_{m.group(2)}(..., {p}{dst})",
                           rpos + m.start(7))
            base = _reg(m.group(4), rpos + m.start(4))
            off = _off16(m.group(5), m.group(6), rpos + m.start(6))
            return (Insn(Class.STX | Mode.ATOMIC | size, base, val, off, _ATOMIC_NAME[m.group(2)]),
                    None, 0, 0)
        if "cmpxchg" in rhs:
            m = _CMPXCHG.fullmatch(rhs)
            if m is None:
                raise _Err("expected cmpxchg_64(rX + OFF, r0, rY) or cmpxchg32_32(rX + OFF, w0, wY)",
                           rpos)
            if m.group(1) is not None:
                size = Size.DW if m.group(1) == "_64" else Size.W
                base, sign, offt = m.group(2, 3, 4)
                opos = rpos + m.start(4)
            else:
                size = SIZES[m.group(6)]
                base, sign, offt = m.group(7, 8, 9)
                opos = rpos + m.start(9)
            self.atomic_width(size, p, m.group(10), rpos)
            self.atomic_width(size, p, m.group(12), rpos)
            if dst != 0 or int(m.group(11)) != 0:
                raise _Err(f"cmpxchg compares with and returns into r0: expected {p}0 = "
                           f"cmpxchg(..., {p}0, {p}N)", rpos + (m.start(10) if dst == 0 else 0))
            src = _reg(m.group(13), rpos + m.start(13))
            return (Insn(Class.STX | Mode.ATOMIC | size, _reg(base, rpos), src,
                         _off16(sign, offt, opos), AtomicOp.CMPXCHG), None, 0, 0)
        if "xchg" in rhs:
            m = _XCHG.fullmatch(rhs)
            if m is None:
                raise _Err("expected xchg_64(rX + OFF, rY) or xchg32_32(rX + OFF, wY)", rpos)
            if m.group(1) is not None:
                size = Size.DW if m.group(1) == "_64" else Size.W
                base, sign, offt = m.group(2, 3, 4)
                opos = rpos + m.start(4)
            else:
                size = SIZES[m.group(6)]
                base, sign, offt = m.group(7, 8, 9)
                opos = rpos + m.start(9)
            self.atomic_width(size, p, m.group(10), rpos)
            val = _reg(m.group(11), rpos + m.start(11))
            if val != dst:
                raise _Err(f"xchg writes the old value back into its value register: expected "
                           f"{p}{dst} = xchg(..., {p}{dst})", rpos + m.start(10))
            return (Insn(Class.STX | Mode.ATOMIC | size, _reg(base, rpos), val,
                         _off16(sign, offt, opos), AtomicOp.XCHG), None, 0, 0)
        if rhs.startswith("load_acquire"):
            m = _LOAD_ACQ.fullmatch(rhs)
            if m is None:
                raise _Err("expected load_acquire((uN *)(rX + OFF))", rpos)
            size = SIZES[m.group(1)]
            if size == Size.DW and p not in "rR":
                raise _Err("a u64 load_acquire needs an r register", 0)
            src = _reg(m.group(2), rpos + m.start(2))
            return (Insn(Class.STX | Mode.ATOMIC | size, dst, src,
                         _off16(m.group(3), m.group(4), rpos + m.start(4)), AtomicOp.LOAD_ACQ),
                    None, 0, 0)
        raise _Err(f"expected a register, an immediate, a load, NAME ll or an operation after "
                   f"'=', got {rhs!r}", rpos)

    def atomic_width(self, size: int, want: str, got: str, pos: int) -> None:
        if size == Size.DW and (want not in "rR" or got not in "rR"):
            raise _Err("64-bit atomics use r registers", pos)
        if want.lower() != got.lower() and size != Size.W:
            raise _Err("register width mismatch", pos)

    def cond_jump(self, m: re.Match[str]) -> tuple[Insn, str | None, int, int]:
        p, dnum, sym, rhs, target = m.group(1, 2, 3, 4, 5)
        dst = _reg(dnum, m.start(2))
        cls = Class.JMP if p in "rR" else Class.JMP32
        op = _JMP_SYM[sym]
        r = _REG.fullmatch(rhs)
        if r is not None:
            self.same_width(p, r.group(1), m.start(4))
            insn = Insn(cls | op | Source.X, dst, _reg(r.group(2), m.start(4)))
        else:
            insn = Insn(cls | op, dst, 0, 0, _imm32(rhs, m.start(4)))
        return self.target(insn, "off", target, m.start(5))

    def target(self, insn: Insn, field: str, text: str, pos: int) -> tuple[Insn, str | None, int, int]:
        n = _TARGET_NUM.fullmatch(text)
        if n is not None:
            v = _int(n.group(1), pos, "a jump offset")
            if field == "off" and not -0x8000 <= v <= 0x7FFF:
                raise _Err(f"jump offset {v} out of range: expected a signed 16-bit value; "
                           "use gotol for longer jumps", pos)
            if not -0x80000000 <= v <= 0x7FFFFFFF:
                raise _Err(f"jump offset {v} out of range: expected a signed 32-bit value", pos)
            return (insn.replace(**{field: v}), None, 0, 1)
        if _LABEL_NAME.fullmatch(text) is None:
            raise _Err(f"expected a label or a signed offset like +2, got {text!r}", pos)
        return (insn, "jump:" + text, pos, 0)

    def store(self, m: re.Match[str]) -> tuple[Insn, str | None, int, int]:
        bits, base, sign, offt, rhs = m.group(1, 2, 3, 4, 5)
        size = SIZES[bits]
        dst = _reg(base, m.start(2))
        off = _off16(sign, offt, m.start(4))
        r = _REG.fullmatch(rhs)
        if r is not None:
            if size == Size.DW and r.group(1) in "wW":
                raise _Err("a u64 store needs an r register", m.start(5))
            return (Insn(Class.STX | Mode.MEM | size, dst, _reg(r.group(2), m.start(5)), off),
                    None, 0, 0)
        return (Insn(Class.ST | Mode.MEM | size, dst, 0, off, _imm32(rhs, m.start(5))), None, 0, 0)

    def keyword(self, text: str) -> tuple[Insn, str | None, int, int]:
        w = _WORD.match(text)
        word = w.group(1) if w is not None else ""
        rest = text[w.end():] if w is not None else text
        rpos = len(text) - len(rest)
        if word == "goto" or word == "gotol" or word == "may_goto":
            if not rest:
                raise _Err(f"{word} needs a target: expected a label or an offset like +2", len(text))
            if word == "goto":
                return self.target(Insn(Class.JMP | JmpOp.JA), "off", rest, rpos)
            if word == "gotol":
                return self.target(Insn(Class.JMP32 | JmpOp.JA), "imm", rest, rpos)
            return self.target(Insn(Class.JMP | JmpOp.JCOND), "off", rest, rpos)
        if word == "call":
            return self.call(rest, rpos)
        if word == "callx":
            r = _REG.fullmatch(rest)
            if r is None or r.group(1) not in "rR":
                raise _Err("expected callx rN", rpos)
            return (Insn(Class.JMP | JmpOp.CALL | Source.X, _reg(r.group(2), rpos)), None, 0, 0)
        if word == "lock":
            m = _LOCK.fullmatch(text)
            if m is None:
                raise _Err("expected lock *(uN *)(rX + OFF) OP= rY with OP one of + | & ^", rpos)
            size = SIZES[m.group(1)]
            if size not in (Size.W, Size.DW):
                raise _Err("atomic operations exist as u32 and u64 only", m.start(1))
            if size == Size.DW and m.group(6) in "wW":
                raise _Err("a u64 atomic needs an r register", m.start(6))
            if m.group(5) not in LOCK_OPS:
                raise _Err(f"no atomic operation {m.group(5)}=: OP is one of + | & ^ "
                           "(subtract by adding the negated value)", m.start(5))
            return (Insn(Class.STX | Mode.ATOMIC | size, _reg(m.group(2), m.start(2)),
                         _reg(m.group(7), m.start(7)), _off16(m.group(3), m.group(4), m.start(4)),
                         LOCK_OPS[m.group(5)]), None, 0, 0)
        if word == "ld_pseudo":
            m = _PSEUDO.fullmatch(text)
            if m is None:
                raise _Err("expected ld_pseudo rN, SRC, IMM", rpos)
            src = _int(m.group(2), m.start(2))
            if src not in {int(x) for x in PseudoSrc} or src == 0:
                raise _Err(f"ld_pseudo source must be 1-6 (a pseudo kind), got {src}", m.start(2))
            imm = _int(m.group(3), m.start(3))
            if -0x80000000 <= imm <= 0xFFFFFFFF:
                imm &= 0xFFFFFFFF
            elif not -(1 << 63) <= imm < (1 << 64):
                raise _Err("ld_pseudo immediate out of range: expected a 64-bit value", m.start(3))
            return (Insn(LDDW, _reg(m.group(1), m.start(1)), src, 0, imm), None, 0, 0)
        if word == "store_release":
            m = _STORE_REL.fullmatch(text)
            if m is None:
                raise _Err("expected store_release((uN *)(rX + OFF), rY)", 0)
            size = SIZES[m.group(1)]
            if size == Size.DW and m.group(5) in "wW":
                raise _Err("a u64 store_release needs an r register", m.start(5))
            return (Insn(Class.STX | Mode.ATOMIC | size, _reg(m.group(2), m.start(2)),
                         _reg(m.group(6), m.start(6)), _off16(m.group(3), m.group(4), m.start(4)),
                         AtomicOp.STORE_REL), None, 0, 0)
        raise self.diagnose(text)

    def call(self, rest: str, rpos: int) -> tuple[Insn, str | None, int, int]:
        if not rest:
            raise _Err("call needs a target: a helper number or name, a label or kfunc(ID)", rpos)
        c = rest[0]
        if c.isdigit() or c in "-+":
            v = _imm32(rest, rpos)
            return (Insn(Class.JMP | JmpOp.CALL, 0, CallSrc.HELPER, 0, v), None, 0, 0)
        if rest.startswith("pc") and len(rest) > 2 and rest[2] in "+-":
            return self.target(Insn(Class.JMP | JmpOp.CALL, 0, CallSrc.LOCAL), "imm", rest, rpos)
        if rest.startswith("kfunc(") and _KFUNC_NAME.fullmatch(rest):  # a kfunc by name
            return (Insn(Class.JMP | JmpOp.CALL, 0, CallSrc.KFUNC), "kfunc:" + rest[6:-1].strip(),
                    rpos, 0)
        if rest.startswith("kfunc("):
            m = _KFUNC.fullmatch(rest)
            if m is None:
                raise _Err("expected kfunc(BTF_ID) or kfunc(BTF_ID, MODULE_INDEX)", rpos)
            off = _int(m.group(2), rpos) if m.group(2) else 0
            if not -0x8000 <= off <= 0x7FFF:
                raise _Err("kfunc module index out of range: expected a signed 16-bit value", rpos)
            return (Insn(Class.JMP | JmpOp.CALL, 0, CallSrc.KFUNC, off, _imm32(m.group(1), rpos)),
                    None, 0, 0)
        if "#" in rest:  # kernel log: call bpf_map_lookup_elem#1, call kernel-function#123
            m = _KCALL.fullmatch(rest)
            if m is None:
                raise _Err("expected NAME#ID as in the kernel log", rpos)
            name, num = m.group(1), _imm32(m.group(2), rpos)
            if name in ("kernel-function",) or (helper_id(name) is None and name != "unknown"):
                return (Insn(Class.JMP | JmpOp.CALL, 0, CallSrc.KFUNC, 0, num),
                        None if name == "kernel-function" else "kfunc:" + name, rpos, 0)
            return (Insn(Class.JMP | JmpOp.CALL, 0, CallSrc.HELPER, 0, num), None, 0, 0)
        if _LABEL_NAME.fullmatch(rest) is None:
            raise _Err(f"expected a helper number or name, a label or kfunc(ID) after call, "
                       f"got {rest!r}", rpos)
        return (Insn(Class.JMP | JmpOp.CALL), "call:" + rest, rpos, 0)

    def diagnose(self, text: str) -> _Err:
        """The most specific complaint about a statement no shape matched."""
        word = re.match(r"[^\s(=*]*", text).group(0)  # type: ignore[union-attr]  # matches "" at worst
        reg = re.match(r"([rwRW])(\d+)\b", text)
        if reg is not None:
            if int(reg.group(2)) > 10:
                return _Err(f"bad register {reg.group(0)}: expected r0-r10 or w0-w10", 0)
            rest = text[reg.end():].lstrip()
            return _Err(f"expected an assignment operator (=, +=, -=, ..., s>>=) after "
                        f"{reg.group(0)}, got {rest[:10]!r}", len(text) - len(rest))
        if word in ("if",):
            return _Err("expected if rX OP (rY|IMM) goto TARGET with OP one of "
                        "== != > >= < <= s> s>= s< s<= &", 0)
        if text.startswith("*"):
            return _Err("expected a store *(uN *)(rX + OFF) = (rY|IMM)", 0)
        if word in ("exit",):
            return _Err("exit takes no operands", len(word))
        bad = re.match(r"[A-Za-z]\w*", text)
        if bad is not None and bad.group(0) not in ("if", "goto", "gotol", "may_goto", "call", "callx",
                                                    "exit", "lock", "ld_pseudo", "store_release"):
            if re.match(r"[A-Za-z]\d+\b", text):
                return _Err(f"bad register {bad.group(0)}: expected r0-r10 or w0-w10", 0)
            return _Err(f"unknown mnemonic {bad.group(0)!r}: expected one of "
                        + ", ".join(_MNEMONICS), 0)
        return _Err(f"cannot parse {text!r}", 0)

    # -- directives ------------------------------------------------------------------
    def directive(self, text: str) -> None:
        parts = text.split(None, 1)
        word, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        if word == ".map":
            self.map_decl(rest.strip(), len(text) - len(rest.strip()))
        elif word in (".text", ".globl", ".global", ".p2align", ".align", ".file", ".type",
                      ".size", ".local", ".weak", ".addrsig", ".addrsig_sym", ".ident"):
            return
        elif word == ".section":
            self.prog.section = rest.strip().split(",")[0].strip().strip('"') or None
        elif word == ".license":
            self.prog.license = rest.strip().strip('"')
        else:
            raise _Err(f"unknown directive {word!r}: expected .map, .section or .license", 0)

    def map_decl(self, rest: str, pos: int) -> None:
        parts = rest.split()
        if len(parts) < 2:
            raise _Err(".map needs NAME TYPE key=N value=N max_entries=N [flags=N] [inner=NAME]", pos)
        name, mtype = parts[0], parts[1]
        if _LABEL_NAME.fullmatch(name) is None:
            raise _Err(f"bad map name {name!r}", pos)
        if name in self.prog.maps:
            raise _Err(f"map {name!r} declared twice", pos)
        decl = MapSpec(name, mtype.lower())
        fields = {"key": "key_size", "key_size": "key_size", "value": "value_size",
                  "value_size": "value_size", "max_entries": "max_entries", "flags": "flags"}
        for part in parts[2:]:
            m = _MAP_ARG.fullmatch(part)
            where = pos + rest.find(part)
            if m is None:
                raise _Err(f"expected KEY=VALUE in .map, got {part!r}", where)
            key, val = m.group(1, 2)
            if key == "inner":
                decl.inner = val
            elif key in fields:
                v = _int(val, where, f"a number for {key}")
                if not 0 <= v <= 0xFFFFFFFF:
                    raise _Err(f"{key}={v} out of range: expected 0..4294967295", where)
                setattr(decl, fields[key], v)
            else:
                raise _Err(f"unknown .map field {key!r}: expected key, value, max_entries, flags "
                           "or inner", where)
        from ...uapi.map_rules import field_problem  # what BPF_MAP_CREATE would refuse

        found = field_problem(decl, self.prog.maps)
        if found is not None:
            field, message = found
            spelled = {"key": ("key", "key_size"), "value": ("value", "value_size")}.get(field, (field,))
            culprit = next((p for p in parts[2:] if p.split("=", 1)[0] in spelled), None)
            where = pos + (rest.find(culprit) if culprit is not None else
                           rest.find(mtype) if field == "type" else 0)
            raise _Err(f"map {name!r}: {message}", where)
        self.prog.maps[name] = decl


def _strip_comment(raw: str) -> str:
    if "#" in raw and _KLOG.match(raw.lstrip()) is None:  # the kernel log spells name#id
        raw = raw[: raw.index("#")]
    if "//" in raw:
        raw = raw[: raw.index("//")]
    if ";" in raw:
        raw = raw[: raw.index(";")]
    return raw


def parse(text: str, filename: str | None = None, *, check_targets: bool = True) -> ProgramSpec:
    """Assemble LLVM/kernel-log syntax into a `ProgramSpec`.

    Label references stay in ``ProgramSpec.refs`` and are also resolved into the
    instructions' offsets. With ``check_targets`` (default) a numeric jump that
    leaves the program is an error; a sweep of single instructions turns it off.

    >>> parse("r1 = counts ll\\nexit\\n.map counts array key=4 value=8 max_entries=1").refs[0]
    Ref(kind=<RefKind.MAP: 'map'>, name='counts', offset=0)
    """
    ps = _Parser(filename)
    prog = ps.prog
    rows = text.split("\n")
    # the fast path's regexes cost more to compile than a short program takes to parse
    # line by line (a probe's start-up): they pay from a few hundred lines on
    read = read_long if len(rows) > _FAST_FROM_LINES else read_short
    got = read(ps, rows, _CACHE)
    insns = prog.insns
    if len(got.slow_lines) == len(insns):
        prog.lines = got.slow_lines
    else:
        prog.lines_later(lambda: lines_of(filename, rows, got.slow, got.slow_lines))
    pending, jumps, numeric = ps.pending, got.jumps, got.numeric
    if pending or jumps[0] or (check_targets and numeric):
        offsets = slot_offsets(insns)
        if pending or jumps[0]:
            resolve_names(prog, pending, filename, offsets, jumps)
        if check_targets and numeric:
            check_numeric(prog, numeric, filename, offsets)
    return prog


#: programs of more lines than this go through the fast path (`pybpf.asm.llvm.fast`)
_FAST_FROM_LINES = 200

#: line text -> (Insn, column, has numeric target, label target, its column): lines of short
#: programs seen before (a long text has its own memory: see `read_long`)
_CACHE: dict[str, tuple[Insn, int, bool, str | None, int]] = {}


def parse_insn(text: str) -> Insn:
    """One instruction from one line of text, numeric operands only (no labels or names).

    >>> parse_insn("r1 = (s8)r2")
    Insn(opcode=0xbf, dst=1, src=2, off=8, imm=0)
    """
    prog = parse(text, check_targets=False)
    if len(prog.insns) != 1 or prog.refs:
        raise AsmError(f"expected exactly one instruction without symbolic operands: {text!r}")
    return prog.insns[0]
