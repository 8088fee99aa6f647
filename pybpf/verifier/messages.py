"""The kernel verifier's messages, in the running kernel's (6.18) wording.

Verifier texts change between releases (the stack-read message has had three
forms), so pybpf keeps every format it speaks in this one table. Each
`Message` has a key, the kernel's printf-style format, an error class (for
reports and statistics) and how its wording was established: ``"live"`` when
the test suite provokes it on the running kernel and finds the same text,
``"live_unpriv"`` when it does so with a loader that has CAP_BPF but not
CAP_PERFMON (pointer leaks, uninitialised stack reads: what such a program may
not do), ``"source"`` when it comes from the kernel sources only.

>>> render("invalid_mem_access", 0, "map_value_or_null")
"R0 invalid mem access 'map_value_or_null'"
>>> find("R1 type=scalar expected=map_ptr")[0].key
'arg_type'
>>> match("unreachable", "unreachable insn 7")
(7,)
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    """One verifier message format."""

    key: str
    fmt: str
    error_class: str
    how: str = "live"

    def render(self, *args: object) -> str:
        """The message with ``args`` substituted (C conversions: %d %u %s %x %lld...)."""
        return _py_fmt(self.fmt) % args

    @property
    def regex(self) -> re.Pattern[str]:
        """A pattern matching the rendered message, one group per conversion."""
        return _regex(self.fmt)


_CONV = re.compile(r"%([-+ #0]*)(\d*)(?:ll|l|z|h)?([dusxXc%])")


def _py_fmt(fmt: str) -> str:
    return _CONV.sub(lambda m: "%" + m.group(1) + m.group(2) + ("d" if m.group(3) == "u" else m.group(3)),
                     fmt)


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _regex(fmt: str) -> re.Pattern[str]:
    pat = _REGEX_CACHE.get(fmt)
    if pat is None:
        parts: list[str] = []
        pos = 0
        for m in _CONV.finditer(fmt):
            parts.append(re.escape(fmt[pos:m.start()]))
            conv = m.group(3)
            if conv == "%":
                parts.append("%")
            elif conv in "du":
                parts.append(r"(-?\d+)")
            elif conv in "xX":
                parts.append(r"((?:0x)?[0-9a-fA-F]+)")
            else:
                parts.append(r"(.+?)")
            pos = m.end()
        parts.append(re.escape(fmt[pos:]))
        pat = re.compile("".join(parts) + "$")
        _REGEX_CACHE[fmt] = pat
    return pat


_M = Message
#: every message format pybpf knows, by key
MESSAGES: dict[str, Message] = {m.key: m for m in [
    # registers
    _M("reg_not_init", "R%d !read_ok", "uninit_reg"),
    _M("fp_read_only", "frame pointer is read only", "bad_insn"),
    _M("reg_invalid", "R%d is invalid", "bad_insn"),
    # memory access
    _M("invalid_mem_access", "R%d invalid mem access '%s'", "bad_mem_access"),
    _M("stack_bounds", "invalid%s stack R%d off=%d size=%d", "stack_out_of_bounds"),
    _M("stack_misaligned", "misaligned stack access off %s+%d+%d size %d", "stack_out_of_bounds"),
    _M("stack_read_uninit", "invalid read from stack R%d off=%d size=%d", "uninit_stack", "live_unpriv"),
    _M("stack_read_uninit_var", "invalid read from stack R%d var_off %s+%d size %d", "uninit_stack",
       "source"),
    _M("register_fill_size", "invalid size of register fill", "uninit_stack"),
    _M("map_value_access", "invalid access to map value, value_size=%d off=%d size=%d", "map_bounds"),
    _M("map_key_access", "invalid access to map key, key_size=%d off=%d size=%d", "map_bounds", "source"),
    _M("mem_access", "invalid access to memory, mem_size=%u off=%d size=%d", "mem_bounds", "source"),
    _M("min_outside", "R%d min value is outside of the allowed memory range", "map_bounds"),
    _M("max_outside", "R%d max value is outside of the allowed memory range", "map_bounds"),
    _M("min_negative_index",
       "R%d min value is negative, either use unsigned index or do a if (index >=0) check.",
       "map_bounds"),
    _M("unbounded_mem", "R%d unbounded memory access, make sure to bounds check any such access",
       "map_bounds", "source"),
    _M("packet_access", "invalid access to packet, off=%d size=%d, R%d(id=%d,off=%d,r=%d)", "pkt_bounds"),
    _M("packet_outside", "R%d offset is outside of the packet", "pkt_bounds"),
    _M("ctx_access", "invalid bpf_context access off=%d size=%d", "ctx_access"),
    # pointer arithmetic
    _M("unbounded_min_math",
       "math between %s pointer and register with unbounded min value is not allowed", "ptr_arith"),
    _M("ptr_arith_null", "R%d pointer arithmetic on %s prohibited, null-check it first", "null_deref"),
    _M("ptr_arith_type", "R%d pointer arithmetic on %s prohibited", "ptr_arith", "source"),
    _M("ptr_bitwise", "R%d bitwise operator %s on pointer prohibited", "ptr_arith"),
    _M("ptr_op", "R%d pointer arithmetic with %s operator prohibited", "ptr_arith"),
    _M("ptr_ptr", "R%d pointer %s pointer prohibited", "ptr_arith"),
    _M("ptr_comparison", "R%d pointer comparison prohibited", "ptr_leak", "live_unpriv"),
    # pointer leaks (unprivileged only)
    _M("leak_map", "R%d leaks addr into map", "ptr_leak", "live_unpriv"),
    _M("leak_ret", "R%d leaks addr as return value", "ptr_leak", "live_unpriv"),
    _M("leak_mem", "R%d leaks addr into mem", "ptr_leak", "source"),
    # helpers
    _M("helper_prog_type", "program of this type cannot use helper %s#%d", "helper_unavailable"),
    _M("helper_invalid", "invalid func %s#%d", "helper_unavailable"),
    _M("helper_unknown", "unknown func %s#%d", "helper_unavailable", "source"),
    _M("gpl_only", "cannot call GPL-restricted function from non-GPL compatible program", "license"),
    _M("arg_type", "R%d type=%s expected=%s", "helper_arg"),
    _M("zero_size", "R%d invalid zero-sized read: u64=[%lld,%lld]", "helper_arg"),
    _M("size_negative", "R%d min value is negative, either use unsigned or 'var &= const'", "helper_arg"),
    _M("size_unbounded", "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'",
       "helper_arg"),
    _M("map_func", "cannot pass map_type %d into func %s#%d", "map_compat"),
    _M("tail_call_map", "expected prog array map for tail call", "map_compat"),
    # references
    _M("unreleased_ref", "Unreleased reference id=%d alloc_insn=%d", "ref_leak"),
    _M("ref_leak_exit", "%s would lead to reference leak", "ref_leak"),
    # program exit
    _M("retval_range", "%s the register R%d has %s should have been in [%d, %d]", "retval"),
    _M("subprog_retval", "At subprogram exit the register R%d is not a scalar value (%s)", "retval",
       "source"),
    # instruction checks
    _M("div_by_zero", "div by zero", "div_by_zero"),
    _M("invalid_shift", "invalid shift %d", "bad_shift"),
    _M("unknown_opcode", "unknown opcode %02x", "bad_insn"),
    _M("invalid_alu_opcode", "invalid BPF_ALU opcode %x", "bad_insn", "source"),
    _M("reserved_neg", "BPF_NEG uses reserved fields", "bad_insn"),
    _M("reserved_mov", "BPF_MOV uses reserved fields", "bad_insn"),
    _M("reserved_alu", "BPF_ALU uses reserved fields", "bad_insn"),
    _M("reserved_jmp", "BPF_JMP/JMP32 uses reserved fields", "bad_insn"),
    _M("ld_abs_prog_type", "BPF_LD_[ABS|IND] instructions not allowed for this program type",
       "bad_insn"),
    # control flow and limits
    _M("unreachable", "unreachable insn %d", "cfg"),
    _M("jump_out_of_range", "jump out of range from insn %d to %d", "cfg"),
    _M("jump_into_ldimm64", "jump into the middle of ldimm64 insn %d", "cfg"),
    _M("back_edge", "back-edge from insn %d to %d", "cfg", "source"),
    _M("last_insn", "last insn is not an exit or jmp", "cfg"),
    _M("infinite_loop", "infinite loop detected at insn %d", "loop"),
    _M("too_large", "BPF program is too large. Processed %d insn", "complexity"),
    _M("jumps_too_complex", "The sequence of %d jumps is too complex.", "complexity", "source"),
    _M("call_stack_depth", "the call stack of %d frames is too deep", "call_depth"),
    _M("combined_stack", "combined stack size of %d calls is %d. Too large", "stack_limit"),
    _M("missing_func_info", "missing btf func_info", "btf"),
]}
del _M

#: historical spellings of messages the running kernel words differently
OLDER_WORDINGS: dict[str, tuple[str, ...]] = {
    "stack_bounds": ("invalid stack off=%d size=%d",),
    "stack_read_uninit": ("invalid read from stack R%d off %d+%d size %d",
                          "invalid read from stack off %d+%d size %d",
                          "invalid indirect read from stack R%d off %d+%d size %d"),
    "call_stack_depth": ("the call stack of %d frames is too deep !",),
}


def render(key: str, *args: object) -> str:
    """The text of message ``key`` with ``args``.

    Raises KeyError for an unknown key.
    """
    return MESSAGES[key].render(*args)


def match(key: str, line: str) -> tuple[str | int, ...] | None:
    """The arguments of ``line`` when it is message ``key`` (numbers as ints), else None."""
    m = MESSAGES[key].regex.match(line.strip())
    if m is None:
        return None
    return tuple(int(g) if re.fullmatch(r"-?\d+", g) else g for g in m.groups())


def find(line: str) -> list[Message]:
    """Every message whose format matches ``line`` (most specific first)."""
    line = line.strip()
    hits = [m for m in MESSAGES.values() if m.regex.match(line)]
    return sorted(hits, key=lambda m: -len(_CONV.sub("", m.fmt)))


def classify_log(log: str) -> Message | None:
    """The message that explains a kernel verifier log: the last line that matches one."""
    for line in reversed(log.strip().splitlines()):
        hits = find(line)
        if hits:
            return hits[0]
    return None


__all__ = ["MESSAGES", "Message", "OLDER_WORDINGS", "classify_log", "find", "match", "render"]
