"""Disassembling and printing: `disassemble`, `format_insn`, `readable`, and the walkers of
raw bytecode (`walk_bytecode`, `bad_slots`); `pybpf.asm` exports them and loads this
module at their first use.

>>> from pybpf.asm import assemble
>>> print(disassemble(assemble("r0 = 42\\nexit"), listing=False))
r0 = 0x2a
exit
"""

from __future__ import annotations

import struct

from ..errors import AsmError, IsaError
from ..isa.insn import Insn
from ..isa.opcodes import LDDW, CallSrc, Class, JmpOp
from ..isa.program import ProgramSpec, Ref, RefKind, target_field

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["bad_slots", "disassemble", "format_insn", "readable", "walk_bytecode"]

SYNTAXES = ("llvm", "gas", "kernel")
#: what llvm-objdump prints for bytes that are no instruction (the printer's own constant,
#: spelled here so that assembling or building a program never loads the printers)
UNKNOWN = "<unknown>"
_CALL = Class.JMP | JmpOp.CALL


def _printer(syntax: str) -> Callable[[Insn, Ref | None], str]:
    # the printers load on first use: assembling or building a program prints nothing
    if syntax == "llvm":
        from .llvm import printer as llvm_print
        return llvm_print.format_insn
    if syntax == "kernel":
        from . import kernel_print
        return kernel_print.format_insn
    if syntax == "gas":
        from . import gas  # lazy: the gas tables load only for the gas syntax
        return gas.format_insn
    raise AsmError(f"unknown syntax {syntax!r}: expected one of {', '.join(SYNTAXES)}")


def format_insn(insn: Insn, syntax: str = "llvm", ref: Ref | None = None) -> str:
    """The text of one instruction in ``syntax`` (``ref``: its symbolic operand).

    >>> format_insn(Insn(0x61, dst=0, src=1, off=8))
    'w0 = *(u32 *)(r1 + 0x8)'
    >>> format_insn(Insn(0x61, dst=0, src=1, off=8), "kernel")
    '(61) r0 = *(u32 *)(r1 +8)'
    """
    return _printer(syntax)(insn, ref)


def readable(insn: Insn, ref: Ref | None = None) -> str:
    """The LLVM text of ``insn`` for a person to read (verifier verdicts, VM traces): like
    `format_insn`, but a helper call by its name, which `assemble` reads back, instead of
    llvm-objdump's number.

    >>> readable(Insn(0x85, imm=1)), format_insn(Insn(0x85, imm=1))
    ('call bpf_map_lookup_elem', 'call 0x1')
    """
    from .llvm import printer as llvm_print
    if ref is None and insn.opcode == _CALL and insn.src == CallSrc.HELPER:
        from ..isa import helper_name  # (the helper names load for a call only)
        name = helper_name(insn.imm)
        if name is not None:
            return f"call {name}"
    return llvm_print.format_insn(insn, ref)


_SLOT = struct.Struct("<BBhi")


def walk_bytecode(data: bytes) -> Iterator[tuple[int, int, Insn | None]]:
    """``(byte offset, length, Insn or None)`` over raw bytecode, the way llvm-objdump
    walks it: 8 bytes a slot, 16 for ``lddw``; a slot whose bytes are no instruction
    (``llvm-objdump`` prints ``<unknown>``) gives None for its 8 bytes; fewer bytes than
    the instruction needs give None one byte at a time, so a listing of damaged bytecode
    goes on to the end.

    >>> [(o, n, i is not None) for o, n, i in walk_bytecode(bytes.fromhex("9500000000000000ff0018"))]
    [(0, 8, True), (8, 1, False), (9, 1, False), (10, 1, False)]
    """
    from .llvm import printer as llvm_print
    fmts = llvm_print.FORMATTERS
    pos, n = 0, len(data)
    while pos < n:
        op = data[pos]
        need = 16 if op == LDDW else 8
        if n - pos < need:
            yield pos, 1, None
            pos += 1
            continue
        _, regs, off, imm = _SLOT.unpack_from(data, pos)
        if op == LDDW:
            imm = ((_SLOT.unpack_from(data, pos + 8)[3] & 0xFFFFFFFF) << 32) | (imm & 0xFFFFFFFF)
            if imm >= 1 << 63:
                imm -= 1 << 64
        if fmts[op](regs & 15, regs >> 4, off, imm) == UNKNOWN:
            yield pos, 8, None
        else:
            yield pos, need, Insn(op, regs & 15, regs >> 4, off, imm)
        pos += need


def _damaged(data: bytes, syntax: str, listing: bool) -> str:
    """Bytecode that does not decode whole, in any syntax: every instruction that does,
    and ``<unknown>`` for the bytes that do not (llvm-objdump's mark)."""
    from .listing import objdump_line, verifier_line
    fmt = _printer(syntax)
    out: list[str] = []
    for pos, length, insn in walk_bytecode(data):
        text = UNKNOWN
        if insn is not None:
            try:
                text = fmt(insn, None)
            except IsaError:
                text = UNKNOWN
        if syntax == "kernel":
            text = text if insn is not None else f"({data[pos]:02x}) {UNKNOWN}"
            out.append(verifier_line(pos // 8, text) if listing else text)
        else:
            out.append(objdump_line(pos // 8, data[pos:pos + length], text) if listing else text)
    return "\n".join(out)


def bad_slots(data: bytes) -> list[int]:
    """Byte offsets of the parts of ``data`` that are no instruction (see `walk_bytecode`).

    >>> bad_slots(bytes.fromhex("9500000000000000ff00000000000000"))
    [8]
    """
    from .llvm import printer as llvm_print
    memo = _LISTED
    if memo is not None and memo[0] is data:  # the bytes just listed: their unknown parts
        return list(memo[1])
    if len(data) % 8:  # cut short: walk it byte by byte where it must
        return [pos for pos, _, insn in walk_bytecode(data) if insn is None]
    # whole slots (a listing's usual case): the formatters' verdicts, without an Insn a slot
    fmts = llvm_print.FORMATTERS
    slots = list(_SLOT.iter_unpack(data))
    out: list[int] = []
    n = len(slots)
    k = 0
    while k < n:
        op, regs, off, imm = slots[k]
        if op != LDDW:
            if fmts[op](regs & 15, regs >> 4, off, imm) == UNKNOWN:
                out.append(k * 8)
            k += 1
            continue
        if k + 1 >= n:  # an lddw cut: as walk_bytecode reads it
            return out + [k * 8 + pos for pos, _, insn in walk_bytecode(data[k * 8:])
                          if insn is None]
        v = ((slots[k + 1][3] & 0xFFFFFFFF) << 32) | (imm & 0xFFFFFFFF)
        if v >= 1 << 63:
            v -= 1 << 64
        if fmts[op](regs & 15, regs >> 4, off, v) == UNKNOWN:
            out.append(k * 8)
            k += 1
        else:
            k += 2
    return out


#: the bytes `_disasm_bytes_llvm` listed last and the offsets of their ``<unknown>`` parts
#: (``pybpf disasm`` asks `bad_slots` about the same bytes right after)
_LISTED: tuple[bytes, list[int]] | None = None


def _disasm_bytes_llvm(data: bytes, listing: bool) -> str:
    """Fast path: raw bytecode in the LLVM syntax without building `Insn` objects (a
    damaged program, cut short or with a cut lddw, goes the slower way of `_damaged`)."""
    from .listing import objdump_line
    from .llvm import printer as llvm_print
    global _LISTED
    if len(data) % 8:
        return _damaged(data, "llvm", listing)
    fmts = llvm_print.FORMATTERS
    out: list[str] = []
    append = out.append
    bad: list[int] = []
    slots = list(_SLOT.iter_unpack(data))
    n = len(slots)
    k = 0
    while k < n:
        op, regs, off, imm = slots[k]
        if op == LDDW:
            if k + 1 >= n:
                return _damaged(data, "llvm", listing)
            hi = slots[k + 1][3]  # llvm-objdump reads only the immediate of the second slot
            v = ((hi & 0xFFFFFFFF) << 32) | (imm & 0xFFFFFFFF)
            if v >= 1 << 63:
                v -= 1 << 64
            text = fmts[op](regs & 15, regs >> 4, off, v)
            if text == UNKNOWN:  # 8 bytes unknown; the next slot is read on its own
                bad.append(k * 8)
                k_bytes = data[k * 8:k * 8 + 8]
                append(objdump_line(k, k_bytes, text) if listing else text)
                k += 1
                continue
            if listing:
                append(objdump_line(k, data[k * 8:k * 8 + 16], text))
            else:
                append(text)
            k += 2
            continue
        text = fmts[op](regs & 15, regs >> 4, off, imm)
        if text == UNKNOWN:
            bad.append(k * 8)
        if listing:
            append(f"{k:8d}:\t{data[k * 8:k * 8 + 8].hex(' ')}\t{text}")
        else:
            append(text)
        k += 1
    _LISTED = (data, bad)
    return "\n".join(out)


def disassemble(data: bytes | bytearray | memoryview | ProgramSpec, syntax: str = "llvm", *,
                listing: bool = True) -> str:
    """The text of a program: raw little-endian bytecode or a `ProgramSpec`.

    With ``listing=True`` the layout of ``llvm-objdump-19 -d`` (slot, bytes, text;
    for ``syntax="kernel"`` the verifier log's ``N: (xx) text``); with
    ``listing=False`` only the text, which `assemble` reads back (labels as
    ``name:`` lines, symbolic operands by name, ``.map`` declarations first).

    >>> print(disassemble(bytes.fromhex("b701000005000000"), listing=False))
    r1 = 0x5
    """
    if not isinstance(data, ProgramSpec):
        code = bytes(data)
        if syntax == "llvm":
            return _disasm_bytes_llvm(code, listing)
        try:
            data = ProgramSpec.from_bytes(code)
        except IsaError:  # cut short, or an lddw cut or with a second slot not zero
            return _damaged(code, syntax, listing)
    if syntax == "llvm" and not data.refs and not data.labels and (listing or not data.maps):
        return _disasm_bytes_llvm(data.encode(), listing)
    fmt = _printer(syntax)
    prog = data
    if listing:
        return _listing(prog, fmt, syntax)
    return _source(prog, fmt, syntax)


def _listing(prog: ProgramSpec, fmt: Callable[[Insn, Ref | None], str], syntax: str) -> str:
    from .listing import objdump_label, objdump_line, verifier_line
    try:
        insns = prog.resolve() if prog.refs else prog.insns
    except IsaError:  # a reference to a label the program lacks: print the offsets it has
        insns = prog.insns
    offsets = prog.slot_offsets()
    by_index = prog.labels_by_index() if prog.labels else {}
    by_slot = {offsets[i]: names[0] for i, names in by_index.items()} if by_index else {}
    out: list[str] = []
    kernel = syntax == "kernel"
    for idx, insn in enumerate(insns):
        slot = offsets[idx]
        ref = prog.refs.get(idx)
        if ref is not None and ref.kind is RefKind.LABEL:
            ref = None  # listings print numeric targets, with a <label> suffix
        if not kernel and idx in by_index:
            for name in by_index[idx]:
                out.extend(objdump_label(slot, name, not out))
        text = fmt(insn, ref)
        if kernel:
            out.append(verifier_line(slot, text))
            continue
        if by_slot:
            where = target_field(insn)
            if where is not None:
                rel = insn.imm if where == "imm" else insn.off
                label = by_slot.get(slot + 1 + rel)
                if label is not None:
                    text += f" <{label}>"
        out.append(objdump_line(slot, insn.encode(), text))
    return "\n".join(out)


def _source(prog: ProgramSpec, fmt: Callable[[Insn, Ref | None], str], syntax: str) -> str:
    out: list[str] = []
    if syntax == "llvm":
        for decl in prog.maps.values():
            line = (f".map {decl.name} {decl.type} key={decl.key_size} value={decl.value_size} "
                    f"max_entries={decl.max_entries}")
            if decl.flags:
                line += f" flags={decl.flags:#x}"
            if decl.inner:
                inner = decl.inner if isinstance(decl.inner, str) else decl.inner.name
                line += f" inner={inner}"
            out.append(line)
    by_index = prog.labels_by_index() if prog.labels and syntax != "kernel" else {}
    refs = prog.refs
    for idx, insn in enumerate(prog.insns):
        if idx in by_index:
            out.extend(f"{name}:" for name in by_index[idx])
        out.append(fmt(insn, refs.get(idx)))
    end = by_index.get(len(prog.insns))
    if end:
        out.extend(f"{name}:" for name in end)
    return "\n".join(out)


def __getattr__(name: str) -> object:
    """``llvm_print`` and ``kernel_print``, the printers, loaded on first use (assembling or
    building a program prints nothing)."""
    if name == "llvm_print":
        from .llvm import printer
        return printer
    if name == "kernel_print":  # (not ``from . import``: that asks pybpf.asm, which asks here)
        import sys

        __import__(f"{__package__}.kernel_print")
        return sys.modules[f"{__package__}.kernel_print"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
