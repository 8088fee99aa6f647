"""The gas-syntax assembler (the syntax is described in `pybpf.asm.gas`).

Built for speed on large files: operands are plain strings, mnemonics go
through one dict of handlers built from the ISA enums, lines seen before come
from a cache, and the column of an error is computed only when there is an
error (handlers raise `_Bad` naming the operand, the driver finds its column).

>>> parse("mov %r0, 1\\nexit").encode().hex()
'b7000000010000009500000000000000'
"""

from __future__ import annotations

import re
from operator import itemgetter

from ...errors import AsmError
from ...isa.helpers import helper_id, misspelled_helper
from ...isa.insn import Insn
from ...isa.opcodes import (
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
from ...isa.program import ProgramSpec, Ref, RefKind, SourceLine
from ..llvm.symbols import slot_offsets
from ..source import lines_of

__all__ = ["parse", "MNEMONICS"]

# -- tables derived from the ISA enums ---------------------------------------------------------

_ALU_SUFFIX = {"": Class.ALU64, "64": Class.ALU64, "32": Class.ALU}
_JMP_SUFFIX = {"": Class.JMP, "32": Class.JMP32}
_SIZES = {s.name.lower(): s for s in Size}  # b, h, w, dw
#: Binary ALU operations by enum name; sdiv/smod are DIV/MOD with off=1.
_BINARY_ALU = {op.name.lower(): (op, 0) for op in AluOp if op not in (AluOp.NEG, AluOp.END)}
_BINARY_ALU.update({"s" + op.name.lower(): (op, 1) for op in (AluOp.DIV, AluOp.MOD)})
_ENDIAN = {e.name[3:].lower(): e for e in Endian}  # le, be
#: Atomic read-modify-write operations: "add", "fetch add", ..., "xchg", "cmpxchg".
_ATOMIC_RMW = {op.name.lower().replace("_", " "): op for op in AtomicOp
               if op not in (AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL)}
_ATOMIC_SIZE = {"": Size.DW, "64": Size.DW, "32": Size.W}
#: lddw pseudo sources by name (map_fd, map_value, btf_id, func, map_idx, map_idx_value).
_PSEUDO = {p.name.lower(): p for p in PseudoSrc if p is not PseudoSrc.IMM}
_MAP_PSEUDO = frozenset({PseudoSrc.MAP_FD, PseudoSrc.MAP_VALUE, PseudoSrc.MAP_IDX,
                         PseudoSrc.MAP_IDX_VALUE})
_CALL_KINDS = ("local", "helper", "runtime", "kfunc")

_REGS = {f"%r{i}": i for i in range(11)}
_IDENT = re.compile(r"[A-Za-z_.$][\w.$]*\Z")
_LABEL = re.compile(r"\s*([A-Za-z_.$][\w.$]*)\s*:")
_LOCK = re.compile(r"(?:(fetch)\s+)?(\S+)(.*)\Z", re.S)
_NUM = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*)\Z")
_EXIT = Class.JMP | JmpOp.EXIT
_EXIT_BYTE = bytes([_EXIT])
_new = tuple.__new__
_OPCODE = itemgetter(0)
_U32 = 1 << 32
_U64 = 1 << 64


class _Bad(Exception):
    """A malformed operand: ``op`` is its index (None: the mnemonic), ``sub`` an offset in it."""

    def __init__(self, message: str, op: int | None = None, sub: int = 0) -> None:
        self.message = message
        self.op = op
        self.sub = sub


# -- operand parsers (plain strings in, numbers out, _Bad on error) -----------------------------

def _number(text: str, k: int, what: str = "a number", sub: int = 0) -> int:
    try:
        return int(text, 0)
    except ValueError:
        pass
    if not _NUM.match(text):
        raise _Bad(f"expected {what} (decimal or 0x hex), got {text!r}" if text
                   else f"expected {what}, got nothing", k, sub)
    sign = -1 if text[0] == "-" else 1
    digits = text.lstrip("+-")
    return sign * int(digits, 10)  # leading zeros: decimal, as in bpf_conformance


def _imm32(text: str, k: int, sub: int = 0) -> int:
    value = _number(text, k, "an immediate", sub)
    if not -0x80000000 <= value < _U32:
        raise _Bad(f"immediate {text} does not fit in 32 bits (-0x80000000..0xffffffff)", k, sub)
    return value


def _reg(text: str, k: int, sub: int = 0) -> int:
    reg = _REGS.get(text)
    if reg is not None:
        return reg
    if re.fullmatch(r"%r\d+", text):
        raise _Bad(f"register {text} does not exist (expected %r0..%r10)", k, sub)
    if re.fullmatch(r"[rw]\d+", text):
        raise _Bad(f"expected a register like %r{text[1:]} (the gas syntax spells registers "
                   f"with %), got {text!r}", k, sub)
    raise _Bad(f"expected a register %r0..%r10, got {text!r}" if text
               else "expected a register %r0..%r10, got nothing", k, sub)


def _mem(text: str, k: int) -> tuple[int, int]:
    """``[%rN]``, ``[%rN+off]`` or ``[%rN-off]`` -> (register, offset)."""
    if len(text) < 3 or text[0] != "[" or text[-1] != "]":
        raise _Bad(f"expected a memory operand like [%r1+8], got {text!r}", k)
    inner = text[1:-1]
    cut = inner.find("+", 1)
    if cut < 0:
        cut = inner.find("-", 1)
    if cut < 0:
        name = inner.strip()
        return _reg(name, k, 1 + inner.find(name) if name else 1), 0
    name = inner[:cut].strip()
    reg = _reg(name, k, 1 + inner.find(name) if name else 1)
    num = inner[cut + 1:].strip()
    sub = 1 + inner.find(num, cut + 1) if num else cut + 2
    off = _number(num, k, "an offset", sub)
    if num[:1] in "+-":
        raise _Bad(f"expected an offset after {inner[cut]}, got {num!r}", k, sub)
    if inner[cut] == "-":
        off = -off
    if not -0x8000 <= off <= 0xFFFF:
        raise _Bad(f"offset {inner[cut]}{num} does not fit in 16 bits (-32768..32767)", k, sub)
    return reg, off


def _s32(value: int) -> int:
    return value - _U32 if value & 0x80000000 else value


def _want(ops: list[str], n: int, form: str) -> None:
    if len(ops) != n:
        raise _Bad(f"expected {n} operand{'s' if n != 1 else ''} ({form}), got {len(ops)}",
                   n if len(ops) > n else None)


def _split(rest: str) -> list[str]:
    if not rest:
        return []
    return [p.strip() for p in rest.split(",")]


# -- the assembler -----------------------------------------------------------------------------

#: Where a symbolic jump target was written: (the statement, as in `_column`, operand index,
#: offset in the operand), for the error message if its label is missing.
_Where = tuple[tuple[int, str, str, int, str], int, int]


class _Assembler:
    def __init__(self, filename: str | None) -> None:
        self.filename = filename
        self.insns: list[Insn] = []
        self.lines: dict[int, SourceLine] = {}
        self.labels: dict[str, int] = {}
        self.label_lines: dict[str, int] = {}
        self.refs: dict[int, Ref] = {}
        self.label_refs: dict[str, Ref] = {}
        self.targets: dict[int, _Where] = {}
        self.pending: list[tuple[int, str]] = []  # (index, "off" | "imm") awaiting a label
        # set per statement, read by target() to remember where a label was named
        self.here: tuple[int, str, str, int, str] = (0, "", "", 0, "")

    def target(self, text: str, k: int, bits: int, sub: int = 0) -> tuple[int, str | None]:
        """A jump target: (offset, None) for a number, (0, label) for a label."""
        if not text:
            raise _Bad("expected a jump target (+N, -N or a label), got nothing", k, sub)
        c = text[0]
        if c.isalpha() or c in "_.$":
            if not _IDENT.match(text):
                raise _Bad(f"expected a label name or +N/-N, got {text!r}", k, sub)
            self.targets[len(self.insns)] = (self.here, k, sub)
            return 0, text
        off = _number(text, k, "a jump target (+N, -N or a label)", sub)
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        if not lo <= off <= hi:
            raise _Bad(f"jump offset {text} does not fit in {bits} bits ({lo}..{hi})"
                       + ("; use ja32 (gotol)" if bits == 16 else ""), k, sub)
        return off, None

    def error(self, message: str, lineno: int, raw: str, col: int) -> AsmError:
        return AsmError(message, line=lineno, column=col, filename=self.filename,
                        source=raw.rstrip("\r"))

    def run(self, text: str) -> ProgramSpec:
        insns: list = self.insns  # Insn, or the field tuple of an instruction awaiting a label
        append = insns.append
        lines = self.lines
        refs = self.refs
        pending = self.pending
        filename = self.filename
        handlers = _HANDLERS
        # a line that is one instruction alone (no label before it, no comment) holds it
        # from its first non-blank character on: only the other lines are written down
        # (``slow``, and their SourceLine), lines_of makes the rest when asked
        slow: list[int] = []
        rows = text.split("\n")
        # a long text's lines are remembered for it alone: they would fill the memory of
        # short programs' lines, and keep it alive to the process's end
        cache = _CACHE if len(rows) <= _OWN_CACHE_FROM else {}
        get = cache.get
        for lineno, raw in enumerate(rows, 1):
            hit = get(raw)
            if hit is not None:
                append(hit)
                continue
            code = raw
            if "#" in code:
                code = code[:code.index("#")]
            body = code.strip()
            if not body:
                slow.append(lineno)
                continue
            start = code.index(body[0])
            cacheable = raw is code
            if ":" in body:
                m = _LABEL.match(code)
                if m is not None:
                    self.define(m.group(1), lineno, raw, m.start(1) + 1)
                    cacheable = False
                    body = code[m.end():].strip()
                    if not body:
                        slow.append(lineno)
                        continue
                    start = code.index(body[0], m.end())
            parts = body.split(None, 1)
            mnemonic = parts[0]
            rest = parts[1] if len(parts) > 1 else ""
            handler = handlers.get(mnemonic)
            if handler is None:
                raise self.error(_unknown_mnemonic(mnemonic), lineno, raw, start + 1)
            self.here = here = (lineno, raw, code, start, mnemonic)
            try:
                insn, ref, field = handler[0](self, handler[1], mnemonic, rest)
            except _Bad as bad:
                raise self.error(bad.message, lineno, raw, _column(here, bad.op, bad.sub)) from None
            idx = len(insns)
            append(insn)
            if not cacheable:
                slow.append(lineno)
                lines[idx] = SourceLine(filename, lineno, start + 1, raw)
            if field is not None:
                pending.append((idx, field))
                refs[idx] = ref
            elif ref is not None:
                refs[idx] = ref
            elif cacheable and len(cache) < _CACHE_MAX:
                cache[raw] = insn
        prog = self.finish()
        if len(lines) != len(insns):
            prog.lines_later(lambda: lines_of(filename, rows, slow, lines))
        return prog

    def label_ref(self, name: str) -> Ref:
        """The LABEL `Ref` of ``name`` (one per label: jumps to it share it)."""
        ref = self.label_refs.get(name)
        if ref is None:
            ref = self.label_refs[name] = Ref.label(name)
        return ref

    def define(self, name: str, lineno: int, raw: str, col: int) -> None:
        if name in self.labels:
            first = self.label_lines[name]
            raise self.error(f"label {name!r} defined twice (first on line {first})", lineno, raw,
                             col)
        self.labels[name] = len(self.insns)
        self.label_lines[name] = lineno

    def finish(self) -> ProgramSpec:
        refs = self.refs
        labels = self.labels
        insns = self.insns
        if "exit" not in labels and any(
                r.kind is RefKind.LABEL and r.name == "exit" for r in refs.values()):
            first_exit = bytes(map(_OPCODE, insns)).find(_EXIT_BYTE)
            if first_exit >= 0:
                labels["exit"] = first_exit  # bpf_conformance: the first exit
        slots = slot_offsets(insns) if self.pending else []
        count = len(insns)
        for idx, field in self.pending:
            name = refs[idx].name
            where = labels.get(name)
            if where is None or where >= count:
                if where is None:
                    known = ", ".join(sorted(labels)) or "none"
                    msg = f"unknown label {name!r} (labels defined: {known})"
                else:
                    msg = (f"jump to label {name!r} leaves the program (the label is after "
                           "the last instruction)")
                raise self._target_error(idx, msg)
            rel = slots[where] - slots[idx] - 1
            opcode, dst, src, off, imm = insns[idx]
            if field == "off":
                if not -0x8000 <= rel <= 0x7FFF:
                    raise self._target_error(idx, f"label {name!r} is {rel} slots away, out of "
                                             "range of a 16-bit jump offset; use ja32 (gotol)")
                if -0x80000000 <= imm <= 0x7FFFFFFF:  # (the other fields are the handler's:
                    insns[idx] = _new(Insn, (opcode, dst, src, rel, imm))  # no checks)
                else:
                    insns[idx] = Insn(opcode, dst, src, rel, imm)
            elif opcode == LDDW:  # lddw func: the low 32 bits
                insns[idx] = Insn(opcode, dst, src, off, (imm & ~0xFFFFFFFF) | (rel & 0xFFFFFFFF))
            else:
                insns[idx] = Insn(opcode, dst, src, off, rel)
        return ProgramSpec(insns, labels, refs, lines=self.lines)

    def _target_error(self, idx: int, message: str) -> AsmError:
        here, k, sub = self.targets[idx]
        return self.error(message, here[0], here[1], _column(here, k, sub))


#: raw line -> Insn for plain instructions seen before (no label definition, comment or
#: symbolic operand on the line: the instruction starts at the line's first non-blank).
_CACHE: dict[str, Insn] = {}
_CACHE_MAX = 1 << 16
#: texts of more lines than this have a cache of their own
_OWN_CACHE_FROM = 200


def _column(here: tuple[int, str, str, int, str], k: int | None, sub: int) -> int:
    """1-based column of offset ``sub`` in operand ``k`` (None: the mnemonic) of a statement.

    ``here`` is (line number, raw line, code without comment, 0-based start of the
    statement, mnemonic), as the driver records it for each statement.
    """
    _lineno, _raw, code, start, mnemonic = here
    if k is None:
        return start + 1
    after = start + len(mnemonic)
    rest = code[after:].strip()
    rest_col = code.index(rest, after) if rest else len(code.rstrip())
    pieces = rest.split(",")
    pos = rest_col
    for piece in pieces[:k]:
        pos += len(piece) + 1
    if k >= len(pieces) or not rest:
        return rest_col + len(rest) + 1
    piece = pieces[k]
    return pos + len(piece) - len(piece.lstrip()) + sub + 1


def _unknown_mnemonic(mnemonic: str) -> str:
    import difflib  # lazy: only an unknown mnemonic needs suggestions

    close = difflib.get_close_matches(mnemonic.lower(), list(_HANDLERS), n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return (f"unknown mnemonic {mnemonic!r} (expected an instruction such as mov, add32, ldxw, "
            f"stxdw, lddw, jeq, ja, call, lock, exit{hint})")


# -- handlers: (assembler, static argument, mnemonic, operand text) -> (Insn, Ref | None) -------

#: (Insn, its symbolic operand, None); for a label target (the five fields, the label Ref,
#: the field the offset goes in: "off" or "imm"), built once the label is known.
_Result = tuple[object, "Ref | None", "str | None"]
_LABEL_FIELDS = tuple[int, int, int, int, int]


def _h_alu(a: _Assembler, arg: tuple, mn: str, rest: str) -> _Result:
    op, off, cls = arg
    ops = _split(rest)
    if len(ops) != 2:
        _want(ops, 2, f"{mn} %rD, %rS or {mn} %rD, IMM")
    dst = _REGS.get(ops[0])
    if dst is None:
        dst = _reg(ops[0], 0)
    src = ops[1]
    if src[:1] == "%" or (src[:1] in ("r", "w") and src[1:].isdigit()):
        return Insn(cls | Source.X | op, dst, _reg(src, 1), off), None, None
    return Insn(cls | op, dst, 0, off, _imm32(src, 1)), None, None


def _h_movsx(a: _Assembler, arg: tuple, mn: str, rest: str) -> _Result:
    width, cls = arg
    ops = _split(rest)
    _want(ops, 2, f"{mn} %rD, %rS")
    return Insn(cls | Source.X | AluOp.MOV, _reg(ops[0], 0), _reg(ops[1], 1), width), None, None


def _h_neg(a: _Assembler, cls: int, mn: str, rest: str) -> _Result:
    ops = _split(rest)
    _want(ops, 1, f"{mn} %rD")
    return Insn(cls | AluOp.NEG, _reg(ops[0], 0)), None, None


def _h_end(a: _Assembler, arg: tuple, mn: str, rest: str) -> _Result:
    opcode, width = arg
    ops = _split(rest)
    _want(ops, 1, f"{mn} %rD")
    return Insn(opcode, _reg(ops[0], 0), imm=width), None, None


def _h_jcond(a: _Assembler, arg: tuple, mn: str, rest: str) -> _Result:
    op, cls = arg
    ops = _split(rest)
    if len(ops) != 3:
        _want(ops, 3, f"{mn} %rD, %rS|IMM, TARGET")
    dst = _REGS.get(ops[0])
    if dst is None:
        dst = _reg(ops[0], 0)
    src = ops[1]
    if src[:1] == "%":
        opcode, sreg, imm = cls | Source.X | op, _reg(src, 1), 0
    else:
        opcode, sreg, imm = cls | op, 0, _imm32(src, 1)
    off, label = a.target(ops[2], 2, 16)
    if label:
        return (opcode, dst, sreg, 0, imm), a.label_ref(label), "off"
    return Insn(opcode, dst, sreg, off, imm), None, None


def _h_ja(a: _Assembler, opcode: int, mn: str, rest: str) -> _Result:
    ops = _split(rest)
    _want(ops, 1, f"{mn} TARGET")
    if opcode == Class.JMP32 | JmpOp.JA:
        imm, label = a.target(ops[0], 0, 32)
        if label:
            return (opcode, 0, 0, 0, 0), a.label_ref(label), "imm"
        return Insn(opcode, imm=imm), None, None
    off, label = a.target(ops[0], 0, 16)
    if label:
        return (opcode, 0, 0, 0, 0), a.label_ref(label), "off"
    return Insn(opcode, off=off), None, None


def _h_exit(a: _Assembler, opcode: int, mn: str, rest: str) -> _Result:
    if rest:
        raise _Bad("exit takes no operand", 0)
    return Insn(opcode), None, None


def _keyword(text: str) -> tuple[str, str, int]:
    """``"kind value"`` -> (kind, value, offset of value), or ("", text, 0)."""
    parts = text.split(None, 1)
    if len(parts) == 2:
        return parts[0], parts[1], text.index(parts[1], len(parts[0]))
    return "", text, 0


def _h_call(a: _Assembler, opcode: int, mn: str, rest: str) -> _Result:
    ops = _split(rest)
    if not ops:
        raise _Bad("expected a call target: call N (helper), call NAME, call local LABEL, "
                   "call kfunc ID or call %rN")
    kind, target, sub = _keyword(ops[0])
    if kind not in _CALL_KINDS:
        _want(ops, 1, "call N, call NAME or call %rN")
        text = ops[0]
        if text[:1] == "%":
            return Insn(opcode | Source.X, _reg(text, 0)), None, None
        if _IDENT.match(text):
            num = helper_id(text)
            if num is None:
                near = misspelled_helper(text)
                guess = f"did you mean {near}? " if near else ""
                raise _Bad(f"unknown helper {text!r}: {guess}(for a subprogram write 'call local "
                           f"{text}', for a kernel function 'call kfunc {text}')", 0)
            return Insn(opcode, imm=num), None, None
        return Insn(opcode, imm=_imm32(text, 0)), None, None
    if kind == "local":
        _want(ops, 1, "call local LABEL or call local +N")
        imm, label = a.target(target, 0, 32, sub)
        if label:
            return (opcode, 0, CallSrc.LOCAL, 0, 0), a.label_ref(label), "imm"
        return Insn(opcode, src=CallSrc.LOCAL, imm=imm), None, None
    if kind == "helper":
        _want(ops, 1, "call helper N")
        if target[:1] == "%":
            return Insn(opcode | Source.X, _reg(target, 0, sub)), None, None
        return Insn(opcode, imm=_imm32(target, 0, sub)), None, None
    if len(ops) > 2:  # kfunc / runtime
        raise _Bad(f"expected call {kind} ID[, BTF_FD_INDEX], got {len(ops)} operands", 2)
    off = 0
    if len(ops) == 2:
        off = _number(ops[1], 1, "a module BTF fd index")
        if not -0x8000 <= off <= 0x7FFF:
            raise _Bad(f"module BTF fd index {ops[1]} does not fit in 16 bits", 1)
    if _IDENT.match(target):
        return Insn(opcode, src=CallSrc.KFUNC, off=off), Ref.kfunc(target), None
    return Insn(opcode, src=CallSrc.KFUNC, off=off, imm=_imm32(target, 0, sub)), None, None


def _h_lddw(a: _Assembler, opcode: int, mn: str, rest: str) -> _Result:
    ops = _split(rest)
    if len(ops) not in (2, 3):
        _want(ops, 2, "lddw %rD, IMM64 or lddw %rD, KIND VALUE[, HIGH32]")
    dst = _reg(ops[0], 0)
    kind, value, sub = _keyword(ops[1])
    pseudo = _PSEUDO.get(kind)
    if kind == "global":  # a global variable: a value of the map of its data section
        if not _IDENT.match(value):
            raise _Bad(f"global needs a variable name, got {value!r}", 1, sub)
        high = _imm32(ops[2], 2) & 0xFFFFFFFF if len(ops) == 3 else 0
        return (Insn(opcode, dst, PseudoSrc.MAP_VALUE, 0, high << 32),
                Ref(RefKind.GLOBAL, value, _s32(high)), None)
    if pseudo is None:
        if len(ops) == 3:
            raise _Bad("a plain lddw takes one 64-bit immediate; a second value belongs to a "
                       "pseudo source (map_value FD, OFFSET)", 2)
        imm = _number(ops[1], 1, "a 64-bit immediate")
        if not -(1 << 63) <= imm < _U64:
            raise _Bad(f"immediate {ops[1]} does not fit in 64 bits", 1)
        return Insn(opcode, dst, imm=imm), None, None
    high = _imm32(ops[2], 2) & 0xFFFFFFFF if len(ops) == 3 else 0
    ref: Ref | None = None
    if pseudo is PseudoSrc.FUNC:
        low, label = a.target(value, 1, 32, sub)
        if label:
            return (opcode, dst, pseudo, 0, high << 32), a.label_ref(label), "imm"
    elif _IDENT.match(value):
        low = 0
        if pseudo is PseudoSrc.BTF_ID:
            ref = Ref(RefKind.KSYM, value)
        elif pseudo in _MAP_PSEUDO:
            ref = Ref.map(value, _s32(high))
        else:
            raise _Bad(f"{kind} needs a number, got {value!r}", 1, sub)
    else:
        low = _imm32(value, 1, sub)
    return Insn(opcode, dst, pseudo, 0, (high << 32) | (low & 0xFFFFFFFF)), ref, None


def _h_ldx(a: _Assembler, opcode: int, mn: str, rest: str) -> _Result:
    ops = _split(rest)
    _want(ops, 2, f"{mn} %rD, [%rS+OFF]")
    src, off = _mem(ops[1], 1)
    return Insn(opcode, _reg(ops[0], 0), src, off), None, None


def _h_st(a: _Assembler, opcode: int, mn: str, rest: str) -> _Result:
    ops = _split(rest)
    _want(ops, 2, f"{mn} [%rD+OFF], IMM")
    dst, off = _mem(ops[0], 0)
    return Insn(opcode, dst, 0, off, _imm32(ops[1], 1)), None, None


def _h_stx(a: _Assembler, arg: tuple, mn: str, rest: str) -> _Result:
    opcode, imm = arg
    ops = _split(rest)
    _want(ops, 2, f"{mn} [%rD+OFF], %rS")
    dst, off = _mem(ops[0], 0)
    return Insn(opcode, dst, _reg(ops[1], 1), off, imm), None, None


def _h_ldacq(a: _Assembler, opcode: int, mn: str, rest: str) -> _Result:
    ops = _split(rest)
    _want(ops, 2, f"{mn} %rD, [%rS+OFF]")
    src, off = _mem(ops[1], 1)
    return Insn(opcode, _reg(ops[0], 0), src, off, AtomicOp.LOAD_ACQ), None, None


def _h_ldabs(a: _Assembler, opcode: int, mn: str, rest: str) -> _Result:
    ops = _split(rest)
    if opcode & 0xE0 == Mode.ABS:
        _want(ops, 1, f"{mn} IMM")
        return Insn(opcode, imm=_imm32(ops[0], 0)), None, None
    _want(ops, 2, f"{mn} %rS, IMM")
    return Insn(opcode, 0, _reg(ops[0], 0), 0, _imm32(ops[1], 1)), None, None


def _h_lock(a: _Assembler, arg: None, mn: str, rest: str) -> _Result:
    m = _LOCK.match(rest)  # "[fetch] OP[32] [%rD+OFF], %rS"
    if m is None:
        raise _Bad("expected an atomic operation after lock: add, or, and, xor (each with an "
                   "optional fetch), xchg or cmpxchg, with a 32 suffix for 32 bits", 0, len(rest))
    fetch, word, tail = m.group(1), m.group(2), m.group(3)
    name, suffix = (word[:-2], word[-2:]) if word[-2:] in ("32", "64") else (word, "")
    op = _ATOMIC_RMW.get(f"fetch {name}" if fetch and name not in ("xchg", "cmpxchg") else name)
    if op is None:
        raise _Bad(f"unknown atomic operation {('fetch ' if fetch else '') + word!r} (expected "
                   "add, or, and, xor, fetch add, fetch or, fetch and, fetch xor, xchg or "
                   "cmpxchg, with a 32 suffix for 32 bits)", 0, m.start(2))
    ops = _split(tail)
    try:
        _want(ops, 2, "lock OP [%rD+OFF], %rS")
        dst, off = _mem(ops[0], 0)
        src = _reg(ops[1], 1)
    except _Bad as bad:
        if bad.op == 0:  # the first operand shares its comma piece with "[fetch] OP"
            first = tail.split(",")[0]
            bad.sub += m.start(3) + len(first) - len(first.lstrip())
        raise
    return Insn(Class.STX | Mode.ATOMIC | _ATOMIC_SIZE[suffix], dst, src, off, op), None, None


def _h_may_goto(a: _Assembler, opcode: int, mn: str, rest: str) -> _Result:
    ops = _split(rest)
    _want(ops, 1, f"{mn} TARGET")
    off, label = a.target(ops[0], 0, 16)
    if label:
        return (opcode, 0, 0, 0, 0), a.label_ref(label), "off"
    return Insn(opcode, off=off), None, None


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
    for jop in CONDITIONAL_JUMPS:
        for suffix, cls in _JMP_SUFFIX.items():
            h[jop.name.lower() + suffix] = (_h_jcond, (jop, cls))
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


def parse(text: str, filename: str | None = None) -> ProgramSpec:
    """Assemble gas-syntax ``text`` into a `ProgramSpec` (labels resolved, kept as refs).

    Raises `AsmError` (file, line, column, what was expected) on the first
    malformed line.

    >>> p = parse("jne %r1, 0, out\\nmov %r0, 2\\nout:\\nexit")
    >>> p.insns[0].off, p.labels["out"]
    (1, 2)
    """
    return _Assembler(filename).run(text)
