"""`Report`: the verdict, and for a rejection the why, where and how-to-fix.

Every rejection has an error *class* (a stable name such as ``null_deref``), the
kernel's own message lines (same words as the running kernel's log), the
instruction, a plain-words explanation, a fix hint, and the abstract values of
the registers involved.

>>> r = Report(accepted=True, processed_insns=3)
>>> r.summary
'accepted (3 instructions processed)'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: error class -> (explanation, hint). ``{reg}``, ``{type}``, ``{insn}`` are filled in.
EXPLAIN: dict[str, tuple[str, str]] = {
    "uninit_register": (
        "R{reg} is read before anything was written to it on this path.",
        "assign R{reg} before this instruction on every path that reaches it (R1 holds the "
        "context at entry, R10 the frame pointer; R1-R5 are clobbered by every call)."),
    "uninit_r0": (
        "the program exits without setting R0, its return value.",
        "set r0 (e.g. `r0 = 0`) before every `exit`."),
    "null_deref": (
        "R{reg} may be NULL here ({type}): the pointer came from a helper that can fail "
        "(a map lookup, a ring buffer reservation) and was not checked on this path.",
        "test it first: `if r{reg} == 0 goto <out>` and only dereference on the non-NULL branch."),
    "scalar_deref": (
        "R{reg} holds a number (a scalar), not a pointer the verifier can check, so it cannot "
        "be dereferenced.",
        "dereference only pointers the verifier tracks (context, stack, map values, checked "
        "packet data); read arbitrary kernel memory with bpf_probe_read_kernel()."),
    "bad_pointer_deref": (
        "R{reg} is a {type} pointer, which cannot be read or written directly.",
        "pass it to the helper that takes it instead of dereferencing it."),
    "map_value_oob": (
        "the access reaches outside the map value.",
        "keep offset + size within value_size; bounds-check a variable index against the "
        "value size before adding it to the pointer."),
    "mem_oob": (
        "the access reaches outside the memory region R{reg} points to.",
        "keep offset + size within the size that was reserved or returned."),
    "negative_index": (
        "the variable offset added to R{reg} may be negative.",
        "use an unsigned index, or check `if idx s< 0 goto <out>` first."),
    "unbounded_access": (
        "the variable offset added to R{reg} has no useful upper bound.",
        "compare the index with the size before using it (`if r_idx > N goto <out>`)."),
    "stack_oob": (
        "the stack access falls outside this function's 512-byte frame [r10-512, r10).",
        "use offsets between -512 and -1 from r10, with offset + size <= 0."),
    "stack_misaligned": (
        "the stack is accessed at an offset that is not a multiple of the access size.",
        "align stack slots to their size (u64 at multiples of 8, u32 at multiples of 4...)."),
    "misaligned_access": (
        "atomic operations need their operand naturally aligned (an 8-byte xchg at a multiple "
        "of 8).",
        "align the field the atomic operation works on to its size."),
    "stack_uninit_read": (
        "the stack bytes read here were never written on this path.",
        "write the stack slot before reading it, or zero the buffer first."),
    "frame_pointer_write": (
        "R10, the frame pointer, is read-only.",
        "copy it (`r1 = r10`) and change the copy."),
    "ctx_access": (
        "this program type's context has no field that can be accessed with this offset, "
        "size and direction.",
        "access context fields by their documented offsets and full sizes; writes are "
        "allowed only to the few writable fields."),
    "ctx_modified": (
        "the context pointer was moved before the access.",
        "access the context through the original pointer with a constant offset."),
    "packet_oob": (
        "the packet access was not proven to lie before data_end.",
        "check it first: `r = data + off + size; if r > data_end goto <out>`, then access "
        "through the checked pointer."),
    "packet_write": (
        "programs of this type cannot write into the packet.",
        "use a program type that may modify packets (tc, xdp) or a helper such as "
        "bpf_skb_store_bytes."),
    "unbounded_pointer_math": (
        "a value with no known lower bound is added to a pointer.",
        "bound the scalar first (e.g. `r1 &= 0xff` or a comparison) before the arithmetic."),
    "pointer_arith_prohibited": (
        "arithmetic on this pointer type is not allowed.",
        "do the arithmetic on a pointer type that allows it (stack, map value, packet)."),
    "pointer_bitwise": (
        "bitwise operations on pointers are not allowed.",
        "operate on scalars; pointers only allow adding and subtracting offsets."),
    "pointer_32bit": (
        "32-bit arithmetic on a pointer would truncate it.",
        "use 64-bit operations (r registers, not w) on pointers."),
    "pointer_leak": (
        "a kernel address would escape the program here.",
        "do not store pointers in maps or return them; pass numbers instead."),
    "div_by_zero": (
        "division or modulo by the constant 0.",
        "divide by a non-zero constant or a register."),
    "invalid_shift": (
        "a shift by the constant {detail} is as wide as or wider than the register.",
        "shift 64-bit registers by 0-63 and 32-bit ones by 0-31."),
    "helper_arg_type": (
        "an argument of the helper call has the wrong type.",
        "check the helper's prototype: which register must hold a map, a stack pointer, a "
        "size..."),
    "helper_arg_size": (
        "a size argument of the helper is not a usable constant range.",
        "bound the size register (e.g. `if r2 > 64 goto <out>`) and keep it > 0."),
    "helper_mem_access": (
        "the memory passed to the helper is not entirely accessible for the size given.",
        "pass a buffer at least as large as the size argument, initialised if the helper "
        "reads it."),
    "helper_map_mismatch": (
        "this helper cannot be used with this kind of map.",
        "use the helper that matches the map type (e.g. bpf_ringbuf_output for ring buffers)."),
    "unknown_helper": (
        "the call names a helper the running kernel does not have.",
        "check the helper id (pybpf.isa.helper_name) and the kernel version."),
    "helper_not_allowed": (
        "programs of this type may not call this helper.",
        "use a program type that allows it, or another helper."),
    "reference_leak": (
        "a reference acquired at insn {detail} (e.g. a ring buffer reservation) is still held "
        "when the program exits.",
        "release it on every path: bpf_ringbuf_submit()/bpf_ringbuf_discard() after a "
        "successful reserve."),
    "release_invalid": (
        "the released pointer is not an acquired reference.",
        "pass the exact pointer the acquiring helper returned (after its NULL check)."),
    "return_range": (
        "the return value of this program type must lie in a fixed range.",
        "return one of the values the hook accepts."),
    "return_pointer": (
        "R0 holds a pointer at exit; this program type must return a number.",
        "return a scalar value."),
    "unreachable_insn": (
        "instruction {insn} can never run.",
        "remove the dead code or fix the jump that should reach it."),
    "jump_out_of_range": (
        "a jump leaves the program.",
        "jump to an instruction inside the program."),
    "jump_into_lddw": (
        "a jump lands in the middle of a 16-byte lddw.",
        "jump to the lddw itself or after it."),
    "missing_exit": (
        "the last instruction is neither an exit nor a jump, so execution would run off the end.",
        "end every path with `exit`."),
    "infinite_loop": (
        "the loop can come back to the same state, so it may never end.",
        "make the loop counter change on every iteration and bound it."),
    "bad_map": (
        "a map the program declares is one BPF_MAP_CREATE refuses (its type, sizes, "
        "max_entries, flags or inner map), so the program cannot be loaded.",
        "fix the declaration (the .map line, the SEC(\".maps\") definition or the DSL map)."),
    "prog_too_large": (
        "the program is longer than the kernel loads: BPF_PROG_LOAD refuses more than "
        "1,000,000 instruction slots (4096 without CAP_BPF) with E2BIG, before verifying.",
        "split it into programs joined by tail calls (bpf_tail_call) or move work into "
        "bpf-to-bpf functions called in loops."),
    "too_complex": (
        "verification explores too many states (the 1,000,000 instruction limit).",
        "reduce branching inside loops, use bpf_loop() or smaller bounds."),
    "ld_abs_not_allowed": (
        "legacy packet loads (LD_ABS/LD_IND) are only for socket filters and tc programs.",
        "read packet data through data/data_end pointers."),
    "invalid_insn": (
        "the instruction is not valid eBPF for this kernel.",
        "check the encoding (reserved fields must be zero)."),
    "call_depth": (
        "bpf-to-bpf calls nest deeper than 8 frames or the combined stack exceeds 512 bytes.",
        "inline small functions or reduce stack use."),
    "missing_func_info": (
        "the program takes the address of a function (a callback for bpf_loop and friends), "
        "which the kernel allows only with BTF function info.",
        "write the program in C and compile with clang -g (pybpf loads the .BTF.ext func "
        "info), or use a counted loop instead of a callback."),
    "kernel_refused": (
        "this kernel refuses to load programs of this kind (the errno) before its verifier "
        "runs: a fact of its build or security policy, measured here by "
        "pybpf.kernel.features.load_refusals.",
        "attach with a kind this kernel allows (a tracepoint, raw_tracepoint or tp_btf "
        "program instead of fentry/fexit/LSM)."),
    "unsupported": (
        "pybpf's verifier does not model this construct yet.",
        "load it into the kernel to get its verdict."),
}


#: the `Report` fields a rejection may leave to be made when one of them is first read
#: (`Report.defer`): texts a caller asking only for the verdict never reads
LAZY_FIELDS = ("insn_text", "explanation", "hint", "registers", "origin")


def _lazy_property(name: str) -> property:
    """A `Report` field read through `Report.defer`'s maker when it is pending."""
    key = "_" + name

    def get(self: Report) -> Any:
        d = self.__dict__
        if "_deferred" in d:
            self._made()
        return d[key]

    def set_(self: Report, value: Any) -> None:
        d = self.__dict__
        if "_deferred" in d:
            self._made()
        d[key] = value

    return property(get, set_, doc=f"The report's {name} (see `Report`).")


def _deferrable(cls: type[Report]) -> type[Report]:
    """``cls``'s `LAZY_FIELDS` as properties (the dataclass's ``__init__``, ``__eq__`` and
    ``__repr__`` go through them)."""
    for name in LAZY_FIELDS:
        setattr(cls, name, _lazy_property(name))
    return cls


@_deferrable
@dataclass
class Report:
    """The outcome of verifying one program.

    A rejection's `LAZY_FIELDS` (the instruction's text, the explanation, the hint, the
    registers, the origin) may be left to a maker (`defer`), run when one of them is first
    read: a caller that asks only for the verdict and the message does not pay for them."""

    accepted: bool
    processed_insns: int = 0
    insn: int | None = None
    insn_text: str | None = None
    message: str | None = None  # the kernel's message lines, joined by newlines
    error_class: str | None = None
    explanation: str = ""
    hint: str = ""
    registers: dict[str, str] = field(default_factory=dict)
    program: str = ""
    log: str = ""
    source: Any = None  # a SourceLine when the program has one for the instruction
    origin: str | None = None  # where the offending register's value was produced

    @property
    def summary(self) -> str:
        if self.accepted:
            return f"accepted ({self.processed_insns} instructions processed)"
        where = f"insn {self.insn}" if self.insn is not None else "program"
        if self.insn_text:
            where += f" ({self.insn_text})"
        return f"rejected at {where}: {self.message}"

    def explain(self) -> str:
        """A multi-line, plain-words account of the verdict."""
        if self.accepted:
            return self.summary
        lines = [self.summary]
        if self.source is not None:
            where = f"{self.source.filename}:{self.source.line}" if self.source.filename \
                else f"line {self.source.line}"
            lines.append(f"  source: {where}: {self.source.text.strip()}")
        lines.append(f"  why: {self.explanation}")
        for reg, val in self.registers.items():
            lines.append(f"  {reg} = {val}")
        if self.origin:
            lines.append(f"  from: {self.origin}")
        lines.append(f"  fix: {self.hint}")
        return "\n".join(lines)

    def defer(self, make: Callable[[], dict[str, Any]]) -> None:
        """Leave the `LAZY_FIELDS` to ``make`` (it returns them by name), called when one of
        them is first read (or set)."""
        self.__dict__["_deferred"] = make

    def _made(self) -> None:
        make = self.__dict__.pop("_deferred")
        for name, value in make().items():
            setattr(self, name, value)

    def __getstate__(self) -> dict[str, Any]:
        if "_deferred" in self.__dict__:
            self._made()
        return self.__dict__.copy()

    def to_json(self) -> dict[str, Any]:
        return {"program": self.program, "accepted": self.accepted, "insn": self.insn,
                "message": self.message, "class": self.error_class,
                "explanation": self.explanation, "hint": self.hint,
                "processed_insns": self.processed_insns, "origin": self.origin}

    def __str__(self) -> str:
        return self.summary

    def _repr_html_(self) -> str | None:
        """The verdict, explanation and log in a notebook, drawn by `pybpf.viewer` (see `pybpf.isa.display`)."""
        from ..isa.display import html_of

        return html_of(self)


class Reject(Exception):
    """Raised inside the verifier to stop at a rejection."""

    def __init__(self, insn: int | None, lines: list[str] | str, cls: str, *,
                 reg: int | None = None, type_label: str = "", detail: Any = "") -> None:
        self.insn = insn
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        self.cls = cls
        self.reg = reg
        self.type_label = type_label
        self.detail = detail
        super().__init__("\n".join(self.lines))

    def fill(self) -> tuple[str, str]:
        return explain(self.cls, self.reg, self.type_label, self.insn, self.detail)


def explain(cls: str, reg: int | None, type_label: str, insn: int | None,
            detail: Any) -> tuple[str, str]:
    """The explanation and hint of a rejection of class ``cls`` (`EXPLAIN`, filled in)."""
    expl, hint = EXPLAIN.get(cls, EXPLAIN["unsupported"])
    values = {"reg": reg if reg is not None else "?", "type": type_label, "insn": insn,
              "detail": detail}
    return expl.format(**values), hint.format(**values)


#: (instruction, its reference, syntax) -> `insn_text`
_TEXTS: dict[tuple, str | None] = {}


def insn_text(insn: Any, ref: Any, syntax: str = "") -> str | None:
    """A report's text of ``insn``: `pybpf.asm.readable` (helper calls by name), or with a
    ``syntax`` `pybpf.asm.format_insn` in it; None when it cannot be printed. Remembered
    per instruction."""
    key = (insn, ref, syntax)
    try:
        return _TEXTS[key]
    except KeyError:
        pass
    from ..asm import format_insn, readable

    try:
        text: str | None = format_insn(insn, syntax=syntax) if syntax else readable(insn, ref)
    except Exception:  # noqa: BLE001 - text is a convenience
        text = None
    if len(_TEXTS) >= 4096:
        _TEXTS.clear()
    _TEXTS[key] = text
    return text
