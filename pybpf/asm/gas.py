"""The gas-like assembly syntax of uBPF and the bpf_conformance test vectors.

`parse` turns text into a `Program`; `format_insn` prints one instruction
back, and `format_program` a whole program with its labels, so that
``parse(format_program(p))`` gives ``p`` again.

>>> from pybpf.asm.gas import parse, format_insn
>>> prog = parse("mov %r0, 1\\nadd32 %r0, %r1\\nexit")
>>> prog.encode().hex()
'b7000000010000000c100000000000009500000000000000'
>>> format_insn(prog.insns[1])
'add32 %r0, %r1'

The syntax, one instruction or label a line (``#`` starts a comment,
a ``name:`` label may precede an instruction on the same line)::

    mov %r0, 1          add32 %r0, %r1      neg %r2    neg32 %r2
    sdiv %r0, %r1       smod32 %r0, 3       movsx832 %r0, %r1   movsx3264 %r0, %r1
    be16 %r0  le64 %r0  bswap32 %r0 (also spelt swap32)
    lddw %r0, 0x1122334455667788
    ldxb %r0, [%r1+2]   ldxsh %r0, [%r10-2] (sign-extending)
    stxdw [%r10-8], %r1 stb [%r1+2], 5
    lock add [%r10-8], %r1      lock fetch xor32 [%r10-4], %r3
    lock xchg [%r10-8], %r1     lock cmpxchg32 [%r10-8], %r1
    jne %r0, 15, label  jsge32 %r1, %r2, +3     ja +3   ja label
    ja32 label          (gotol: the JMP32 JA with its target in imm; also spelt gotol)
    call 5              (helper by id; ``call bpf_map_lookup_elem`` by name; ``call helper 5``)
    call local func1    (bpf-to-bpf call; ``call local +4`` by offset)
    call %r2            (callx: the target address in a register)
    exit

Rules: registers are ``%r0``..``%r10``; numbers are decimal or ``0x`` hex,
optionally signed; a 32-bit immediate takes -2**31..2**32-1 (``0xffffffff``
is -1). The mnemonic suffix ``32`` selects ALU/JMP32 (``64`` or none: ALU64/
JMP). A jump target is ``+N``/``-N`` (slots, counted from the next
instruction), a bare number (the same as ``+N``) or a label. As in
bpf_conformance, the first ``exit`` instruction carries an implicit label
``exit`` unless the program defines one, so ``jne %r0, 0, exit`` works.

Forms the vectors never use, spelt by pybpf (binutils' "normal" BPF dialect
where it has one)::

    ldabsb 12  ldabsh 12  ldabsw 12           legacy LD_ABS (packet access)
    ldindb %r3, 12  ...  ldindw %r3, 12        legacy LD_IND
    ldacqb %r0, [%r1+0] ... ldacqdw            load-acquire (dst = *(src + off))
    strelb [%r1+0], %r2 ... streldw            store-release (*(dst + off) = src)
    may_goto +3  /  may_goto label             JCOND
    call kfunc 1234      call kfunc 1234, 2    kfunc by BTF id (and module BTF fd index, the off
                                               field); ``call runtime N`` is the bpf_conformance
                                               spelling; ``call kfunc NAME`` keeps a symbolic kfunc
    lddw %r1, map_fd 3   lddw %r1, map_fd my_map          pseudo sources of lddw: the word after
    lddw %r1, map_value 3, 16   lddw %r1, map_value my_map, 16   the comma is the upper 32 bits
    lddw %r1, btf_id 1234  lddw %r1, btf_id NAME (a kernel variable)
    lddw %r1, func label   lddw %r1, func +3
    lddw %r1, map_idx 0    lddw %r1, map_idx_value 0, 8

A map name gives a `Ref` of kind MAP, a ``btf_id`` name one of kind KSYM
(both bound by the loader); a label after
``func`` or a jump gives a LABEL `Ref`. Every malformed line raises
`AsmError` naming the file, line, column and what was expected.
"""

from __future__ import annotations

import re

from ..errors import AsmError, IsaError
from ..isa.helpers import helper_id
from ..isa.insn import Insn
from ..isa.opcodes import (
    CONDITIONAL_JUMPS,
    END_WIDTHS,
    LDDW,
    MOVSX_WIDTHS,
    AluOp,
    AtomicOp,
    CallSrc,
    Class,
    Endian,
    JmpOp,
    Mode,
    PseudoSrc,
    Size,
    Source,
)
from ..isa.program import Program, Ref, RefKind, SourceLine, target_field

__all__ = ["parse", "format_insn", "format_program", "MNEMONICS"]

# -- tables derived from the ISA enums ---------------------------------------------------------

#: ALU class for each mnemonic suffix.
_ALU_SUFFIX = {"": Class.ALU64, "64": Class.ALU64, "32": Class.ALU}
_JMP_SUFFIX = {"": Class.JMP, "32": Class.JMP32}
#: Size letter(s) -> Size, from the enum names (b, h, w, dw).
_SIZES = {s.name.lower(): s for s in Size}
_SIZE_NAME = {int(s): n for n, s in _SIZES.items()}
#: Binary ALU operations spelt by their enum name; sdiv/smod are DIV/MOD with off=1.
_BINARY_ALU = {op.name.lower(): (op, 0) for op in AluOp if op not in (AluOp.NEG, AluOp.END)}
_BINARY_ALU.update({"s" + op.name.lower(): (op, 1) for op in (AluOp.DIV, AluOp.MOD)})
_ENDIAN = {e.name[3:].lower(): e for e in Endian}  # le, be
#: Atomic read-modify-write operations: "add", "fetch add", "xchg", "cmpxchg".
_ATOMIC_RMW = {op.name.lower().replace("_", " "): op for op in AtomicOp
               if op not in (AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL)}
_ATOMIC_NAME = {int(op): name for name, op in _ATOMIC_RMW.items()}
_ATOMIC_SIZE = {"": Size.DW, "64": Size.DW, "32": Size.W}
#: lddw pseudo sources spelt by name (map_fd, map_value, btf_id, func, map_idx, map_idx_value).
_PSEUDO = {p.name.lower(): p for p in PseudoSrc if p is not PseudoSrc.IMM}
_PSEUDO_NAME = {int(p): n for n, p in _PSEUDO.items()}
_MAP_PSEUDO = frozenset({PseudoSrc.MAP_FD, PseudoSrc.MAP_VALUE, PseudoSrc.MAP_IDX,
                         PseudoSrc.MAP_IDX_VALUE})
_ACQ_REL = {"ldacq": AtomicOp.LOAD_ACQ, "strel": AtomicOp.STORE_REL}

_REGS = {f"%r{i}": i for i in range(11)}
_REG_NAME = [f"%r{i}" for i in range(16)]
_IDENT = re.compile(r"[A-Za-z_.$][\w.$]*\Z")
_LABEL = re.compile(r"\s*([A-Za-z_.$][\w.$]*)\s*:")
_MEM = re.compile(r"\[\s*([^\]+\-\s]*)\s*(?:([+-])\s*([^\]\s]+)\s*)?\]\Z")
_LOCK = re.compile(r"\s*(?:(fetch)\s+)?(\S+)\s*(.*)\Z")
_KIND = re.compile(r"(\w+)\s+(.*)\Z")
_NUM = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*)\Z")

_U32 = 1 << 32
_U64 = 1 << 64


class _Line:
    """One source line being assembled: where errors point."""

    __slots__ = ("text", "lineno", "filename")

    def __init__(self, text: str, lineno: int, filename: str | None) -> None:
        self.text = text
        self.lineno = lineno
        self.filename = filename

    def error(self, message: str, column: int) -> AsmError:
        return AsmError(message, line=self.lineno, column=column, filename=self.filename,
                        source=self.text)


class _Operand:
    """One comma-separated operand: its stripped text and 1-based column."""

    __slots__ = ("text", "col")

    def __init__(self, text: str, col: int) -> None:
        self.text = text
        self.col = col


# -- operand parsers ---------------------------------------------------------------------------

def _number(line: _Line, op: _Operand, what: str = "a number") -> int:
    text = op.text
    if not _NUM.match(text):
        raise line.error(f"expected {what} (decimal or 0x hex), got {text!r}" if text
                         else f"expected {what}, got nothing", op.col)
    sign = 1
    if text[0] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if len(text) > 1 and text[0] == "0" and text[1].isdigit():
        return sign * int(text, 10)  # leading zeros are decimal, as in bpf_conformance
    return sign * int(text, 0)


def _imm32(line: _Line, op: _Operand) -> int:
    value = _number(line, op, "an immediate")
    if not -0x80000000 <= value < _U32:
        raise line.error(f"immediate {op.text} does not fit in 32 bits "
                         f"(-0x80000000..0xffffffff)", op.col)
    return value


def _reg(line: _Line, op: _Operand) -> int:
    reg = _REGS.get(op.text)
    if reg is not None:
        return reg
    text = op.text
    if re.fullmatch(r"%r\d+", text):
        raise line.error(f"register {text} does not exist (expected %r0..%r10)", op.col)
    if re.fullmatch(r"[rw]\d+", text):
        raise line.error(f"expected a register like %{text[0] == 'w' and 'r' or 'r'}{text[1:]} "
                         f"(the gas syntax spells registers with %), got {text!r}", op.col)
    raise line.error(f"expected a register %r0..%r10, got {text!r}" if text
                     else "expected a register %r0..%r10, got nothing", op.col)


def _mem(line: _Line, op: _Operand) -> tuple[int, int]:
    """``[%rN]``, ``[%rN+off]`` or ``[%rN-off]`` -> (register, offset)."""
    m = _MEM.match(op.text)
    if m is None:
        raise line.error(f"expected a memory operand like [%r1+8], got {op.text!r}", op.col)
    reg = _reg(line, _Operand(m.group(1), op.col + m.start(1)))
    off = 0
    if m.group(2):
        num = _Operand(m.group(3), op.col + m.start(3))
        off = _number(line, num, "an offset")
        if m.group(2) == "-":
            off = -off
        if not -0x8000 <= off <= 0xFFFF:
            raise line.error(f"offset {m.group(2)}{m.group(3)} does not fit in 16 bits "
                             "(-32768..32767)", num.col)
    return reg, off


def _split(line: _Line, rest: str, start: int) -> list[_Operand]:
    """Split ``rest`` (which begins at 0-based column ``start``) on commas."""
    out = []
    pos = 0
    for piece in rest.split(","):
        stripped = piece.strip()
        lead = len(piece) - len(piece.lstrip())
        out.append(_Operand(stripped, start + pos + lead + 1))
        pos += len(piece) + 1
    if len(out) == 1 and not out[0].text:
        return []
    return out


# -- the assembler -----------------------------------------------------------------------------

class _Assembler:
    def __init__(self, filename: str | None) -> None:
        self.filename = filename
        self.insns: list[Insn] = []
        self.lines: dict[int, SourceLine] = {}
        self.labels: dict[str, int] = {}
        self.label_lines: dict[str, tuple[int, int]] = {}
        self.refs: dict[int, Ref] = {}
        # instruction index -> (line, operand) of a symbolic label target, for errors
        self.targets: dict[int, tuple[_Line, _Operand]] = {}
        self.first_exit: int | None = None

    # -- helpers used by the handlers --
    def emit(self, insn: Insn, line: _Line, col: int, ref: Ref | None = None) -> None:
        idx = len(self.insns)
        self.insns.append(insn)
        self.lines[idx] = SourceLine(self.filename, line.lineno, col, line.text)
        if ref is not None:
            self.refs[idx] = ref

    def target(self, line: _Line, op: _Operand, limit_bits: int) -> tuple[int, str | None]:
        """A jump target: (offset, None) for a number, (0, label) for a label."""
        text = op.text
        if not text:
            raise line.error("expected a jump target (+N, -N or a label), got nothing", op.col)
        if _IDENT.match(text):
            self.targets[len(self.insns)] = (line, op)
            return 0, text
        off = _number(line, op, "a jump target (+N, -N or a label)")
        lo, hi = -(1 << (limit_bits - 1)), (1 << (limit_bits - 1)) - 1
        if not lo <= off <= hi:
            raise line.error(f"jump offset {text} does not fit in {limit_bits} bits "
                             f"({lo}..{hi})" + ("; use ja32 (gotol)" if limit_bits == 16 else ""),
                             op.col)
        return off, None

    # -- the main loop --
    def run(self, text: str) -> Program:
        for lineno, raw in enumerate(text.split("\n"), 1):
            code = raw
            hash_at = code.find("#")
            if hash_at >= 0:
                code = code[:hash_at]
            if not code or code.isspace():
                continue
            line = _Line(raw.rstrip("\r"), lineno, self.filename)
            start = 0
            if ":" in code:
                m = _LABEL.match(code)
                if m is not None:
                    self.define(m.group(1), line, m.start(1) + 1)
                    start = m.end()
                    if not code[start:].strip():
                        continue
            self.statement(line, code, start)
        return self.finish()

    def define(self, name: str, line: _Line, col: int) -> None:
        if name in self.labels:
            first = self.label_lines[name][0]
            raise line.error(f"label {name!r} defined twice (first on line {first})", col)
        self.labels[name] = len(self.insns)
        self.label_lines[name] = (line.lineno, col)

    def statement(self, line: _Line, code: str, start: int) -> None:
        body = code[start:]
        lead = len(body) - len(body.lstrip())
        start += lead
        body = body.strip()
        parts = body.split(None, 1)
        mnemonic = parts[0]
        rest = parts[1] if len(parts) > 1 else ""
        rest_start = start + (code[start:].find(rest, len(mnemonic)) if rest else len(body))
        col = start + 1
        handler = _HANDLERS.get(mnemonic)
        if handler is None:
            raise line.error(_unknown_mnemonic(mnemonic), col)
        handler[0](self, line, col, mnemonic, handler[1], rest, rest_start)

    def finish(self) -> Program:
        refs = self.refs
        if self.first_exit is not None and "exit" not in self.labels and any(
                r.kind is RefKind.LABEL and r.name == "exit" for r in refs.values()):
            self.labels["exit"] = self.first_exit  # bpf_conformance: the first exit
        count = len(self.insns)
        slots: list[int] | None = None
        for idx, ref in refs.items():
            if ref.kind is not RefKind.LABEL:
                continue
            line, op = self.targets[idx]
            where = self.labels.get(ref.name)
            if where is None:
                known = ", ".join(sorted(self.labels)) or "none"
                raise line.error(f"unknown label {ref.name!r} (labels defined: {known})", op.col)
            if where >= count:
                raise line.error(f"jump to label {ref.name!r} leaves the program (the label is "
                                 "after the last instruction)", op.col)
            if slots is None:
                slots = _slot_offsets(self.insns)
            insn = self.insns[idx]
            rel = slots[where] - slots[idx] - 1
            field = target_field(insn) or "off"
            if field == "off" and not -0x8000 <= rel <= 0x7FFF:
                raise line.error(f"label {ref.name!r} is {rel} slots away, out of range of a "
                                 "16-bit jump offset; use ja32 (gotol)", op.col)
            self.insns[idx] = insn.replace(**{field: rel})
        return Program(self.insns, self.labels, refs, lines=self.lines)


def _slot_offsets(insns: list[Insn]) -> list[int]:
    out = []
    pos = 0
    for insn in insns:
        out.append(pos)
        pos += 2 if insn.opcode == LDDW else 1
    out.append(pos)
    return out


def _unknown_mnemonic(mnemonic: str) -> str:
    import difflib

    close = difflib.get_close_matches(mnemonic.lower(), list(_HANDLERS), n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return (f"unknown mnemonic {mnemonic!r} (expected an instruction such as mov, add32, ldxw, "
            f"stxdw, lddw, jeq, ja, call, lock, exit{hint})")


def _want(line: _Line, ops: list[_Operand], n: int, form: str, col: int) -> None:
    if len(ops) != n:
        where = ops[n].col if len(ops) > n else col
        raise line.error(f"expected {n} operand{'s' if n != 1 else ''} ({form}), got {len(ops)}",
                         where)


# -- handlers: (assembler, line, column, mnemonic, static argument, operand text, its column) ----

def _h_alu(a: _Assembler, line: _Line, col: int, mn: str, arg: tuple, rest: str, rs: int) -> None:
    op, off, cls = arg
    ops = _split(line, rest, rs)
    _want(line, ops, 2, f"{mn} %rD, %rS or {mn} %rD, IMM", col)
    dst = _reg(line, ops[0])
    src_text = ops[1].text
    if src_text.startswith("%") or (src_text[:1] in "rw" and src_text[1:].isdigit()):
        a.emit(Insn(cls | Source.X | op, dst, _reg(line, ops[1]), off), line, col)
    else:
        a.emit(Insn(cls | Source.K | op, dst, 0, off, _imm32(line, ops[1])), line, col)


def _h_movsx(a: _Assembler, line: _Line, col: int, mn: str, arg: tuple, rest: str, rs: int) -> None:
    width, cls = arg
    ops = _split(line, rest, rs)
    _want(line, ops, 2, f"{mn} %rD, %rS", col)
    a.emit(Insn(cls | Source.X | AluOp.MOV, _reg(line, ops[0]), _reg(line, ops[1]), width),
           line, col)


def _h_neg(a: _Assembler, line: _Line, col: int, mn: str, cls: int, rest: str, rs: int) -> None:
    ops = _split(line, rest, rs)
    _want(line, ops, 1, f"{mn} %rD", col)
    a.emit(Insn(cls | AluOp.NEG, _reg(line, ops[0])), line, col)


def _h_end(a: _Assembler, line: _Line, col: int, mn: str, arg: tuple, rest: str, rs: int) -> None:
    opcode, width = arg
    ops = _split(line, rest, rs)
    _want(line, ops, 1, f"{mn} %rD", col)
    a.emit(Insn(opcode, _reg(line, ops[0]), imm=width), line, col)


def _h_jcond(a: _Assembler, line: _Line, col: int, mn: str, arg: tuple, rest: str, rs: int) -> None:
    op, cls = arg
    ops = _split(line, rest, rs)
    _want(line, ops, 3, f"{mn} %rD, %rS|IMM, TARGET", col)
    dst = _reg(line, ops[0])
    off, label = a.target(line, ops[2], 16)
    ref = Ref.label(label) if label else None
    if ops[1].text.startswith("%"):
        a.emit(Insn(cls | Source.X | op, dst, _reg(line, ops[1]), off), line, col, ref)
    else:
        a.emit(Insn(cls | Source.K | op, dst, 0, off, _imm32(line, ops[1])), line, col, ref)


def _h_ja(a: _Assembler, line: _Line, col: int, mn: str, opcode: int, rest: str, rs: int) -> None:
    ops = _split(line, rest, rs)
    _want(line, ops, 1, f"{mn} TARGET", col)
    if opcode == Class.JMP32 | JmpOp.JA:
        imm, label = a.target(line, ops[0], 32)
        insn = Insn(opcode, imm=imm)
    else:
        off, label = a.target(line, ops[0], 16)
        insn = Insn(opcode, off=off)
    a.emit(insn, line, col, Ref.label(label) if label else None)


def _h_exit(a: _Assembler, line: _Line, col: int, mn: str, opcode: int, rest: str, rs: int) -> None:
    if rest.strip():
        raise line.error("exit takes no operand", rs + 1)
    if a.first_exit is None:
        a.first_exit = len(a.insns)
    a.emit(Insn(opcode), line, col)


def _h_call(a: _Assembler, line: _Line, col: int, mn: str, opcode: int, rest: str, rs: int) -> None:
    ops = _split(line, rest, rs)
    if not ops:
        raise line.error("expected a call target: call N (helper), call NAME, call local LABEL, "
                         "call kfunc ID or call %rN", col)
    first = ops[0]
    m = _KIND.match(first.text)
    kind = m.group(1) if m is not None and m.group(1) in ("local", "helper", "runtime", "kfunc") \
        else None
    if kind is None:
        _want(line, ops, 1, "call N, call NAME or call %rN", col)
        text = first.text
        if text.startswith("%"):
            a.emit(Insn(opcode | Source.X, _reg(line, first)), line, col)
            return
        if _IDENT.match(text):
            num = helper_id(text)
            if num is None:
                raise line.error(f"unknown helper {text!r} (for a subprogram write "
                                 f"'call local {text}', for a kernel function 'call kfunc {text}')",
                                 first.col)
            a.emit(Insn(opcode, imm=num), line, col)
            return
        a.emit(Insn(opcode, imm=_imm32(line, first)), line, col)
        return
    assert m is not None
    target = _Operand(m.group(2), first.col + m.start(2))
    if kind == "local":
        _want(line, ops, 1, "call local LABEL or call local +N", col)
        imm, label = a.target(line, target, 32)
        a.emit(Insn(opcode, src=CallSrc.LOCAL, imm=imm), line, col,
               Ref.label(label) if label else None)
    elif kind == "helper":
        _want(line, ops, 1, "call helper N", col)
        if target.text.startswith("%"):
            a.emit(Insn(opcode | Source.X, _reg(line, target)), line, col)
        else:
            a.emit(Insn(opcode, imm=_imm32(line, target)), line, col)
    else:  # kfunc / runtime
        if len(ops) > 2:
            raise line.error(f"expected call {kind} ID[, BTF_FD_INDEX], got {len(ops)} operands",
                             ops[2].col)
        off = 0
        if len(ops) == 2:
            off = _number(line, ops[1], "a module BTF fd index")
            if not -0x8000 <= off <= 0x7FFF:
                raise line.error(f"module BTF fd index {ops[1].text} does not fit in 16 bits",
                                 ops[1].col)
        if _IDENT.match(target.text):
            a.emit(Insn(opcode, src=CallSrc.KFUNC, off=off), line, col, Ref.kfunc(target.text))
        else:
            a.emit(Insn(opcode, src=CallSrc.KFUNC, off=off, imm=_imm32(line, target)), line, col)


def _h_lddw(a: _Assembler, line: _Line, col: int, mn: str, opcode: int, rest: str, rs: int) -> None:
    ops = _split(line, rest, rs)
    if len(ops) not in (2, 3):
        _want(line, ops, 2, "lddw %rD, IMM64 or lddw %rD, KIND VALUE[, HIGH32]", col)
    dst = _reg(line, ops[0])
    value = ops[1]
    m = _KIND.match(value.text)
    pseudo = _PSEUDO.get(m.group(1)) if m is not None else None
    if pseudo is None:
        if len(ops) == 3:
            raise line.error("a plain lddw takes one 64-bit immediate; a second value belongs to "
                             "a pseudo source (map_value FD, OFFSET)", ops[2].col)
        imm = _number(line, value, "a 64-bit immediate")
        if not -(1 << 63) <= imm < _U64:
            raise line.error(f"immediate {value.text} does not fit in 64 bits", value.col)
        a.emit(Insn(opcode, dst, imm=imm), line, col)
        return
    assert m is not None
    kind = m.group(1)
    arg = _Operand(m.group(2), value.col + m.start(2))
    high = 0
    if len(ops) == 3:
        high = _imm32(line, ops[2]) & 0xFFFFFFFF
    ref: Ref | None = None
    if pseudo is PseudoSrc.FUNC:
        low, label = a.target(line, arg, 32)
        ref = Ref.label(label) if label else None
    elif _IDENT.match(arg.text):
        low = 0
        if pseudo is PseudoSrc.BTF_ID:
            ref = Ref(RefKind.KSYM, arg.text)
        elif pseudo in _MAP_PSEUDO:
            ref = Ref.map(arg.text, high)
        else:
            raise line.error(f"{kind} needs a number, got {arg.text!r}", arg.col)
    else:
        low = _imm32(line, arg)
    a.emit(Insn(opcode, dst, pseudo, 0, (high << 32) | (low & 0xFFFFFFFF)), line, col, ref)


def _h_ldx(a: _Assembler, line: _Line, col: int, mn: str, opcode: int, rest: str, rs: int) -> None:
    ops = _split(line, rest, rs)
    _want(line, ops, 2, f"{mn} %rD, [%rS+OFF]", col)
    dst = _reg(line, ops[0])
    src, off = _mem(line, ops[1])
    a.emit(Insn(opcode, dst, src, off), line, col)


def _h_st(a: _Assembler, line: _Line, col: int, mn: str, opcode: int, rest: str, rs: int) -> None:
    ops = _split(line, rest, rs)
    _want(line, ops, 2, f"{mn} [%rD+OFF], IMM", col)
    dst, off = _mem(line, ops[0])
    a.emit(Insn(opcode, dst, 0, off, _imm32(line, ops[1])), line, col)


def _h_stx(a: _Assembler, line: _Line, col: int, mn: str, arg: tuple, rest: str, rs: int) -> None:
    opcode, imm = arg
    ops = _split(line, rest, rs)
    _want(line, ops, 2, f"{mn} [%rD+OFF], %rS", col)
    dst, off = _mem(line, ops[0])
    a.emit(Insn(opcode, dst, _reg(line, ops[1]), off, imm), line, col)


def _h_ldacq(a: _Assembler, line: _Line, col: int, mn: str, opcode: int, rest: str, rs: int) -> None:
    ops = _split(line, rest, rs)
    _want(line, ops, 2, f"{mn} %rD, [%rS+OFF]", col)
    dst = _reg(line, ops[0])
    src, off = _mem(line, ops[1])
    a.emit(Insn(opcode, dst, src, off, AtomicOp.LOAD_ACQ), line, col)


def _h_ldabs(a: _Assembler, line: _Line, col: int, mn: str, opcode: int, rest: str, rs: int) -> None:
    ops = _split(line, rest, rs)
    if opcode & 0xE0 == Mode.ABS:
        _want(line, ops, 1, f"{mn} IMM", col)
        a.emit(Insn(opcode, imm=_imm32(line, ops[0])), line, col)
    else:
        _want(line, ops, 2, f"{mn} %rS, IMM", col)
        a.emit(Insn(opcode, 0, _reg(line, ops[0]), 0, _imm32(line, ops[1])), line, col)


def _h_lock(a: _Assembler, line: _Line, col: int, mn: str, arg: None, rest: str, rs: int) -> None:
    m = _LOCK.match(rest)
    if m is None:
        raise line.error("expected an atomic operation after lock: add, or, and, xor (each with "
                         "an optional fetch), xchg or cmpxchg, with a 32 suffix for 32 bits",
                         rs + len(rest) + 1)
    fetch, word = m.group(1), m.group(2)
    name, size_suffix = word, ""
    if name[-2:] in ("32", "64"):
        name, size_suffix = name[:-2], name[-2:]
    key = f"fetch {name}" if fetch and name not in ("xchg", "cmpxchg") else name
    op = _ATOMIC_RMW.get(key)
    if op is None:
        raise line.error(f"unknown atomic operation {('fetch ' if fetch else '') + word!r} "
                         "(expected add, or, and, xor, fetch add, fetch or, fetch and, fetch xor, "
                         "xchg or cmpxchg, with a 32 suffix for 32 bits)", rs + m.start(2) + 1)
    ops = _split(line, m.group(3), rs + m.start(3))
    _want(line, ops, 2, "lock OP [%rD+OFF], %rS", col)
    dst, off = _mem(line, ops[0])
    size = _ATOMIC_SIZE[size_suffix]
    a.emit(Insn(Class.STX | Mode.ATOMIC | size, dst, _reg(line, ops[1]), off, op), line, col)


def _h_may_goto(a: _Assembler, line: _Line, col: int, mn: str, opcode: int, rest: str,
                rs: int) -> None:
    ops = _split(line, rest, rs)
    _want(line, ops, 1, f"{mn} TARGET", col)
    off, label = a.target(line, ops[0], 16)
    a.emit(Insn(opcode, off=off), line, col, Ref.label(label) if label else None)


def _build_handlers() -> dict[str, tuple]:
    h: dict[str, tuple] = {}
    for name, (op, off) in _BINARY_ALU.items():
        for suffix, cls in _ALU_SUFFIX.items():
            h[name + suffix] = (_h_alu, (op, off, cls))
    for suffix, cls in _ALU_SUFFIX.items():
        h["neg" + suffix] = (_h_neg, cls)
    for width in MOVSX_WIDTHS:
        h[f"movsx{width}64"] = (_h_movsx, (width, Class.ALU64))
        if width < 32:
            h[f"movsx{width}32"] = (_h_movsx, (width, Class.ALU))
    for width in END_WIDTHS:
        for name, endian in _ENDIAN.items():
            h[f"{name}{width}"] = (_h_end, (Class.ALU | AluOp.END | endian, width))
        bswap = (_h_end, (Class.ALU64 | AluOp.END | Source.K, width))
        h[f"bswap{width}"] = bswap
        h[f"swap{width}"] = bswap
    for op in CONDITIONAL_JUMPS:
        for suffix, cls in _JMP_SUFFIX.items():
            h[op.name.lower() + suffix] = (_h_jcond, (op, cls))
    h["ja"] = (_h_ja, Class.JMP | JmpOp.JA)
    h["ja32"] = h["gotol"] = (_h_ja, Class.JMP32 | JmpOp.JA)
    h["exit"] = (_h_exit, Class.JMP | JmpOp.EXIT)
    h["call"] = (_h_call, Class.JMP | JmpOp.CALL)
    h["may_goto"] = (_h_may_goto, Class.JMP | JmpOp.JCOND)
    h["lddw"] = (_h_lddw, LDDW)
    h["lock"] = (_h_lock, None)
    for sname, size in _SIZES.items():
        h["ldx" + sname] = (_h_ldx, Class.LDX | Mode.MEM | size)
        h["st" + sname] = (_h_st, Class.ST | Mode.MEM | size)
        h["stx" + sname] = (_h_stx, (Class.STX | Mode.MEM | size, 0))
        h["ldacq" + sname] = (_h_ldacq, Class.STX | Mode.ATOMIC | size)
        h["strel" + sname] = (_h_stx, (Class.STX | Mode.ATOMIC | size, AtomicOp.STORE_REL))
        if size is not Size.DW:
            h["ldxs" + sname] = (_h_ldx, Class.LDX | Mode.MEMSX | size)
            h["ldabs" + sname] = (_h_ldabs, Class.LD | Mode.ABS | size)
            h["ldind" + sname] = (_h_ldabs, Class.LD | Mode.IND | size)
    return h


_HANDLERS = _build_handlers()
#: Every mnemonic the gas syntax accepts.
MNEMONICS = frozenset(_HANDLERS)


def parse(text: str, filename: str | None = None) -> Program:
    """Assemble gas-syntax ``text`` into a `Program` (labels resolved, kept as refs).

    Raises `AsmError` (file, line, column, what was expected) on the first
    malformed line.

    >>> p = parse("jne %r1, 0, out\\nmov %r0, 2\\nout:\\nexit")
    >>> p.insns[0].off, p.labels["out"]
    (1, 2)
    """
    return _Assembler(filename).run(text)


# -- the printer -------------------------------------------------------------------------------

def _sdec(value: int) -> str:
    return f"+{value}" if value >= 0 else str(value)


def _imm_text(value: int) -> str:
    """Small numbers in decimal, others (masks, addresses) in hex."""
    if -0x1000 < value < 0x1000:
        return str(value)
    return f"-{-value:#x}" if value < 0 else f"{value:#x}"


def _mem_text(reg: int, off: int) -> str:
    return f"[{_REG_NAME[reg]}{_sdec(off)}]" if off else f"[{_REG_NAME[reg]}]"


def _target(value: int, ref: Ref | None) -> str:
    if ref is not None and ref.kind is RefKind.LABEL:
        return ref.name
    return _sdec(value)


def format_insn(insn: Insn, ref: Ref | None = None) -> str:
    """One instruction in gas syntax; ``ref`` (a label, map or kfunc) replaces its number.

    >>> format_insn(Insn(0x7b, dst=10, src=1, off=-8))
    'stxdw [%r10-8], %r1'
    >>> format_insn(Insn(0x15, dst=0, off=3, imm=15), Ref.label("out"))
    'jeq %r0, 15, out'

    Raises `IsaError` for an opcode the ISA does not define.
    """
    op = insn.opcode
    cls = op & 0x07
    R = _REG_NAME
    if cls == Class.ALU64 or cls == Class.ALU:
        aop = op & 0xF0
        is32 = cls == Class.ALU
        suffix = "32" if is32 else ""
        if aop == AluOp.END:
            if is32:
                return f"{'be' if op & Source.X else 'le'}{insn.imm} {R[insn.dst]}"
            return f"bswap{insn.imm} {R[insn.dst]}"
        if aop == AluOp.NEG:
            return f"neg{suffix} {R[insn.dst]}"
        try:
            name = AluOp(aop).name.lower()
        except ValueError:
            raise IsaError(f"unknown arithmetic operation {aop:#x} (opcode {op:#04x})") from None
        if op & Source.X:
            if aop == AluOp.MOV and insn.off:
                return f"movsx{insn.off}{'32' if is32 else '64'} {R[insn.dst]}, {R[insn.src]}"
            if insn.off == 1 and aop in (AluOp.DIV, AluOp.MOD):
                name = "s" + name
            return f"{name}{suffix} {R[insn.dst]}, {R[insn.src]}"
        if insn.off == 1 and aop in (AluOp.DIV, AluOp.MOD):
            name = "s" + name
        imm = insn.imm & 0xFFFFFFFF if is32 else insn.imm
        return f"{name}{suffix} {R[insn.dst]}, {_imm_text(imm)}"
    if cls == Class.JMP or cls == Class.JMP32:
        jop = op & 0xF0
        if jop == JmpOp.JA:
            if cls == Class.JMP32:
                return f"ja32 {_target(insn.imm, ref)}"
            return f"ja {_target(insn.off, ref)}"
        if jop == JmpOp.EXIT:
            return "exit"
        if jop == JmpOp.CALL:
            if op & Source.X:
                return f"call {R[insn.dst]}"
            if insn.src == CallSrc.LOCAL:
                return f"call local {_target(insn.imm, ref)}"
            if insn.src == CallSrc.KFUNC:
                what = ref.name if ref is not None and ref.kind is RefKind.KFUNC else str(insn.imm)
                return f"call kfunc {what}" + (f", {insn.off}" if insn.off else "")
            return f"call {insn.imm}"
        if jop == JmpOp.JCOND:
            return f"may_goto {_target(insn.off, ref)}"
        try:
            name = JmpOp(jop).name.lower()
        except ValueError:
            raise IsaError(f"unknown jump operation {jop:#x} (opcode {op:#04x})") from None
        suffix = "32" if cls == Class.JMP32 else ""
        if op & Source.X:
            src = R[insn.src]
        else:
            src = _imm_text(insn.imm & 0xFFFFFFFF if suffix else insn.imm)
        return f"{name}{suffix} {R[insn.dst]}, {src}, {_target(insn.off, ref)}"
    size = _SIZE_NAME[op & 0x18]
    mode = op & 0xE0
    if cls == Class.LDX:
        if mode == Mode.MEMSX:
            return f"ldxs{size} {R[insn.dst]}, {_mem_text(insn.src, insn.off)}"
        return f"ldx{size} {R[insn.dst]}, {_mem_text(insn.src, insn.off)}"
    if cls == Class.ST:
        return f"st{size} {_mem_text(insn.dst, insn.off)}, {_imm_text(insn.imm)}"
    if cls == Class.STX:
        if mode == Mode.ATOMIC:
            imm = insn.imm & 0xFFFFFFFF
            if imm == AtomicOp.LOAD_ACQ:
                return f"ldacq{size} {R[insn.dst]}, {_mem_text(insn.src, insn.off)}"
            if imm == AtomicOp.STORE_REL:
                return f"strel{size} {_mem_text(insn.dst, insn.off)}, {R[insn.src]}"
            name = _ATOMIC_NAME.get(imm)
            if name is None:
                raise IsaError(f"unknown atomic operation imm={imm:#x} (opcode {op:#04x})")
            return (f"lock {name}{'32' if size == 'w' else ''} "
                    f"{_mem_text(insn.dst, insn.off)}, {R[insn.src]}")
        return f"stx{size} {_mem_text(insn.dst, insn.off)}, {R[insn.src]}"
    # Class.LD
    if op == LDDW:
        if insn.src == PseudoSrc.IMM:
            value = insn.imm & (_U64 - 1)
            return f"lddw {R[insn.dst]}, {_imm_text(value)}"
        kind = _PSEUDO_NAME.get(insn.src)
        if kind is None:
            raise IsaError(f"lddw pseudo source must be 0-6 (got {insn.src})")
        low = insn.imm & 0xFFFFFFFF
        high = (insn.imm >> 32) & 0xFFFFFFFF
        if insn.src == PseudoSrc.FUNC:
            low_s = low - _U32 if low & 0x80000000 else low
            text = _target(low_s, ref)
        elif ref is not None and ref.kind in (RefKind.MAP, RefKind.GLOBAL, RefKind.KSYM):
            text = ref.name
        else:
            text = str(low)
        return f"lddw {R[insn.dst]}, {kind} {text}" + (f", {_imm_text(high)}" if high else "")
    if mode == Mode.ABS:
        return f"ldabs{size} {_imm_text(insn.imm)}"
    if mode == Mode.IND:
        return f"ldind{size} {R[insn.src]}, {_imm_text(insn.imm)}"
    raise IsaError(f"unknown LD mode {mode:#x} (opcode {op:#04x})")


def format_program(program: Program) -> str:
    """A whole program in gas syntax, labels on their own lines, one instruction a line.

    >>> print(format_program(parse("ja out\\nout: exit")), end="")
    ja out
    out:
    exit
    """
    at = program.labels_by_index()
    out: list[str] = []
    refs = program.refs
    for idx, insn in enumerate(program.insns):
        for name in at.get(idx, ()):
            out.append(f"{name}:")
        out.append(format_insn(insn, refs.get(idx)))
    for name in at.get(len(program.insns), ()):
        out.append(f"{name}:")
    return "\n".join(out) + ("\n" if out else "")
