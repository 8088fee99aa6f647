"""Read a kernel verifier log as the loaders print it, and find what it rejects.

Accepted inputs: the bare log (``log_level`` 1 or 2, as ``pybpf load`` and ``bpftool prog
load -d`` show it), libbpf's output (``libbpf: prog 'x': -- BEGIN PROG LOAD LOG --`` ...
``-- END PROG LOAD LOG --``, also inside bpftool's), BCC's (``bpf: Failed to load program:
Permission denied`` followed by the log) and cilium/ebpf's error text (``load program:
permission denied: <last line> (N line(s) omitted)``, or the whole log with ``%+v``).

`parse_log` returns a `KernelLog`: the failing instruction (slot) and its text, the error
lines, the message key and error class, the source line the kernel printed before the
failing instruction (``; text @ file:line``, from BTF line info), the registers' last
known values and the instructions of the failing path.

>>> log = '''0: R1=ctx() R10=fp0
... ; return *(int *)(ctx + 1000); @ t.c:5
... 0: (61) r0 = *(u32 *)(r1 +1000)
... invalid bpf_context access off=1000 size=4
... processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
... '''
>>> k = parse_log(log)
>>> k.insn, k.message, k.error_class, k.source_line
(0, 'invalid bpf_context access off=1000 size=4', 'ctx_access', ('t.c', 5, 'return *(int *)(ctx + 1000);'))
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..verifier import messages

_INSN = re.compile(r"^(\d+): \(([0-9a-f]{2})\) (.*?)(?:\s+;\s+(.*))?$")
_STATE = re.compile(r"^(\d+): (R\d+.*|frame\d+:.*)$")
_FROM = re.compile(r"^from (\d+) to (\d+): (.*)$")
_SRC = re.compile(r"^; (.*?) @ (.+?):(\d+)$")
_REGVAL = re.compile(r"\b(R\d+)(?:_\w)?=((?:[\w\-]+\([^()]*(?:\([^()]*\)[^()]*)*\))|[^\s]+)")
_PROCESSED = re.compile(r"^processed \d+ insns")
_LIBBPF_PREFIX = re.compile(r"^libbpf: (?:prog '[^']*': )?")
_BEGIN = "-- BEGIN PROG LOAD LOG --"
_END = "-- END PROG LOAD LOG --"
_CILIUM = re.compile(r"load program: [^:]+: (.*?)(?: \(\d+ line\(s\) omitted\))?$")
_NAMED_INSN = re.compile(r"(?:unreachable insn|infinite loop detected at insn|jump into the middle "
                         r"of ldimm64 insn|jump out of range from insn) (\d+)")
#: a message the kernel prints on the same line as the instruction (no newline before it)
_GLUED = re.compile(r"^(\d+: \([0-9a-f]{2}\) .*?) ?(infinite loop detected at insn \d+|"
                    r"back-edge from insn \d+ to \d+)$", re.M)
_PROG_NAME = re.compile(r"libbpf: prog '([^']+)': (?:BPF program load failed|-- BEGIN)")

#: message key -> pybpf error class (where the key alone decides it)
_CLASS_OF_KEY = {
    "reg_not_init": "uninit_register", "fp_read_only": "frame_pointer_write",
    "reg_invalid": "invalid_insn", "stack_bounds": "stack_oob", "stack_misaligned": "stack_misaligned",
    "stack_read_uninit": "stack_uninit_read", "stack_read_uninit_var": "stack_uninit_read",
    "register_fill_size": "stack_uninit_read", "map_value_access": "map_value_oob",
    "map_key_access": "map_value_oob", "mem_access": "mem_oob", "min_outside": "map_value_oob",
    "max_outside": "map_value_oob", "min_negative_index": "negative_index",
    "unbounded_mem": "unbounded_access", "packet_access": "packet_oob",
    "packet_outside": "packet_oob", "ctx_access": "ctx_access",
    "unbounded_min_math": "unbounded_pointer_math", "ptr_arith_null": "pointer_arith_prohibited",
    "ptr_arith_type": "pointer_arith_prohibited", "ptr_bitwise": "pointer_bitwise",
    "ptr_op": "pointer_arith_prohibited", "ptr_ptr": "pointer_arith_prohibited",
    "ptr_comparison": "pointer_leak", "leak_map": "pointer_leak", "leak_ret": "pointer_leak",
    "leak_mem": "pointer_leak", "helper_prog_type": "helper_not_allowed",
    "helper_invalid": "unknown_helper", "helper_unknown": "unknown_helper", "gpl_only": "license",
    "arg_type": "helper_arg_type", "zero_size": "helper_arg_size", "size_negative": "helper_arg_size",
    "size_unbounded": "helper_arg_size", "map_func": "helper_map_mismatch",
    "tail_call_map": "helper_map_mismatch", "unreleased_ref": "reference_leak",
    "ref_leak_exit": "reference_leak", "retval_range": "return_range",
    "subprog_retval": "return_pointer", "div_by_zero": "div_by_zero", "invalid_shift": "invalid_shift",
    "unknown_opcode": "invalid_insn", "invalid_alu_opcode": "invalid_insn",
    "reserved_neg": "invalid_insn", "reserved_mov": "invalid_insn", "reserved_alu": "invalid_insn",
    "reserved_jmp": "invalid_insn", "ld_abs_prog_type": "ld_abs_not_allowed",
    "unreachable": "unreachable_insn", "jump_out_of_range": "jump_out_of_range",
    "jump_into_ldimm64": "jump_into_lddw", "back_edge": "infinite_loop",
    "last_insn": "missing_exit", "infinite_loop": "infinite_loop", "too_large": "too_complex",
    "jumps_too_complex": "too_complex", "call_stack_depth": "call_depth",
    "combined_stack": "call_depth", "missing_func_info": "missing_func_info",
}

#: other kernel messages (not in the verifier's table) -> pybpf error class
_CLASS_OF_TEXT = [
    (re.compile(r"unknown#195896080"), "core_relocation"),
    (re.compile(r"^R\d+ is not a known constant"), "helper_arg_size"),
    (re.compile(r"^cannot write into packet"), "packet_write"),
    (re.compile(r"^dereference of modified ctx ptr"), "ctx_modified"),
    (re.compile(r"^variable ctx access"), "ctx_modified"),
    (re.compile(r"^invalid size of register spill"), "pointer_leak"),
    (re.compile(r"^R\d+ 32-bit pointer arithmetic prohibited"), "pointer_32bit"),
    (re.compile(r"^R\d+ leaks addr"), "pointer_leak"),
    (re.compile(r"^invalid (?:unbounded )?variable-offset .*stack"), "stack_oob"),
    (re.compile(r"^write into map forbidden|^read from map forbidden"), "map_value_oob"),
    (re.compile(r"^R\d+ invalid mem access 'scalar'"), "scalar_deref"),
    (re.compile(r"^R\d+ invalid mem access '\w+_or_null'"), "null_deref"),
    (re.compile(r"^R\d+ invalid mem access"), "bad_pointer_deref"),
    (re.compile(r"^R0 leaks addr as return value|^At program exit the register R0 is not a known"),
     "return_pointer"),
    (re.compile(r"^misaligned (?:value|packet|context)? ?access|^misaligned access"),
     "misaligned_access"),
    (re.compile(r"^invalid zero-sized read|^R\d+ invalid zero-sized read"), "helper_arg_size"),
    (re.compile(r"^invalid indirect (?:access|read) to stack"), "helper_mem_access"),
    (re.compile(r"^invalid access to map value, value_size"), "map_value_oob"),
    (re.compile(r"^BPF_EXIT instruction .* would lead to reference leak"), "reference_leak"),
    (re.compile(r"^R\d+ must be referenced|^release kernel func|^R\d+ must be"), "release_invalid"),
    (re.compile(r"^fd \d+ is not pointing to valid bpf_map"), "helper_arg_type"),
    (re.compile(r"^program of this type cannot use helper"), "helper_not_allowed"),
    (re.compile(r"^loop detected|^back-edge"), "infinite_loop"),
    (re.compile(r"^value -?\d+ makes \w+ pointer be out of bounds"), "unbounded_pointer_math"),
]


@dataclass
class LogInsn:
    """One instruction line of the log: slot, opcode and the kernel's text."""

    slot: int
    opcode: int
    text: str
    line_no: int  # 0-based index of the log line


@dataclass
class KernelLog:
    """What a kernel verifier log says about a rejection (see `parse_log`)."""

    accepted: bool
    insn: int | None = None
    insn_text: str | None = None
    error_lines: list[str] = field(default_factory=list)
    message_key: str | None = None
    error_class: str | None = None
    #: (file, line, text) of the nearest ``; text @ file:line`` before the failing insn
    source_line: tuple[str, int, str] | None = None
    registers: dict[str, str] = field(default_factory=dict)
    path: list[LogInsn] = field(default_factory=list)
    program: str | None = None
    log: str = ""

    @property
    def message(self) -> str | None:
        return "\n".join(self.error_lines) if self.error_lines else None

    @property
    def failing_line(self) -> str | None:
        """The log line that names the error (what a load error should quote)."""
        for ln in self.error_lines:
            if message_key(ln) is not None or error_class(ln) != "unsupported":
                return ln
        return self.error_lines[-1] if self.error_lines else None


def extract(text: str) -> tuple[str, str | None]:
    """The verifier log inside a loader's output, and the program's name when it says one."""
    name = None
    m = _PROG_NAME.search(text)
    if m:
        name = m.group(1)
    if _BEGIN in text:
        start = text.index(_BEGIN) + len(_BEGIN)
        end = text.find(_END, start)
        body = text[start:end if end >= 0 else len(text)]
        lines = [_LIBBPF_PREFIX.sub("", ln) for ln in body.splitlines()]
        return "\n".join(ln for ln in lines if ln.strip() != "") + "\n", name
    out = []
    for ln in text.splitlines():
        if ln.startswith("libbpf: ") or ln.startswith("Error: ") or \
                ln.startswith("bpf: Failed to load program") or ln.startswith("Traceback") or \
                ln.startswith("Exception:"):
            continue
        m = _CILIUM.search(ln)
        if m and not _INSN.match(ln):
            out.append(m.group(1))
            continue
        out.append(ln)
    return "\n".join(out) + "\n", name


def message_key(line: str) -> str | None:
    """The key (`pybpf.verifier.messages.MESSAGES`) of a log line's message, or None.

    ``invalid read from stack R2 off=-32 size=64`` is worded the same for bytes never
    written and for bytes outside the frame: it is ``stack_bounds`` when they leave the
    frame [r10-512, r10).

    >>> message_key("invalid read from stack R2 off=-32 size=64")
    'stack_bounds'
    >>> message_key("invalid read from stack R2 off=-16 size=4")
    'stack_read_uninit'
    """
    hits = messages.find(line)
    if hits:
        if hits[0].key == "stack_read_uninit":
            got = messages.match("stack_read_uninit", line)
            if got is not None and (int(got[1]) + int(got[2]) > 0 or int(got[1]) < -512):
                return "stack_bounds"
        return hits[0].key
    for key, olds in messages.OLDER_WORDINGS.items():
        for fmt in olds:
            if messages._regex(fmt).match(line.strip()):
                return key
    return None


def error_class(line: str) -> str:
    """pybpf's error class for a kernel message line (``unsupported`` when unknown)."""
    line = line.strip()
    for pat, cls in _CLASS_OF_TEXT:
        if pat.search(line):
            return cls
    key = message_key(line)
    if key is not None:
        return _CLASS_OF_KEY.get(key, "unsupported")
    return "unsupported"


def parse_log(text: str) -> KernelLog:
    """Parse a kernel verifier log (or a loader's output that contains one)."""
    log, name = extract(text)
    log = _GLUED.sub(r"\1\n\2", log)
    lines = log.rstrip("\n").split("\n")
    end = len(lines)
    accepted = False
    for i in range(len(lines) - 1, -1, -1):
        if _PROCESSED.match(lines[i]):
            end = i
            break
    insns: list[LogInsn] = []
    for n, ln in enumerate(lines[:end]):
        m = _INSN.match(ln)
        if m:
            insns.append(LogInsn(int(m.group(1)), int(m.group(2), 16), m.group(3).rstrip(), n))
    last = insns[-1] if insns else None
    start = last.line_no + 1 if last else 0
    errors = [ln.rstrip() for ln in lines[start:end] if ln.strip() and not _STATE.match(ln)
              and not _SRC.match(ln) and not ln.startswith("mark_precise") and
              not ln.startswith("verification time") and not ln.startswith("stack depth")
              and not ln.startswith("last_idx") and not ln.startswith("regs=")
              and not ln.startswith("parent ") and not ln.startswith("cur state:")
              and not ln.startswith("old state:")]
    if not errors and end < len(lines) and not insns:
        accepted = True
    if not errors and insns and end < len(lines):
        accepted = True  # a log of a program the kernel accepted
    insn = last.slot if last else None
    insn_text = last.text if last else None
    for ln in errors:
        m = _NAMED_INSN.search(ln)
        if m:
            insn = int(m.group(1))
            break
    key = cls = None
    for ln in errors:
        k = message_key(ln)
        c = error_class(ln)
        if k is not None or c != "unsupported":
            key, cls = k, c
            break
    if cls is None and errors:
        cls = "unsupported"
    src = None
    if last is not None:
        for n in range(last.line_no - 1, -1, -1):
            m = _SRC.match(lines[n])
            if m:
                src = (m.group(2), int(m.group(3)), m.group(1).strip())
                break
            if _FROM.match(lines[n]) and src is None:
                continue
    path = _failing_path(lines, insns)
    regs = _registers(lines, last.line_no if last else end)
    return KernelLog(accepted, insn, insn_text, errors, key, cls, src, regs, path, name, log)


def _failing_path(lines: list[str], insns: list[LogInsn]) -> list[LogInsn]:
    """The instructions of the path that failed, oldest first: walking back from the last
    instruction line, a ``from X to Y`` line continues at the latest earlier line of X."""
    if not insns:
        return []
    by_line = {li.line_no: li for li in insns}
    out: list[LogInsn] = []
    n = insns[-1].line_no
    jump_to: int | None = None
    while n >= 0:
        ln = lines[n]
        li = by_line.get(n)
        if li is not None:
            if jump_to is None or li.slot == jump_to:
                out.append(li)
                jump_to = None
        else:
            m = _FROM.match(ln)
            if m and jump_to is None:
                jump_to = int(m.group(1))
        n -= 1
    out.reverse()
    return out


def _registers(lines: list[str], upto: int) -> dict[str, str]:
    """The last value the log printed for each register before line ``upto``."""
    regs: dict[str, str] = {}
    for ln in lines[:upto + 1]:
        m = _FROM.match(ln)
        if m:
            regs = {}
            state = m.group(3)
        else:
            sm = _STATE.match(ln)
            im = _INSN.match(ln)
            state = sm.group(2) if sm else (im.group(4) if im and im.group(4) else None)
            if sm:
                regs = {}
        if state:
            for r, v in _REGVAL.findall(state):
                regs[r] = v
    return regs


__all__ = ["KernelLog", "LogInsn", "error_class", "extract", "message_key", "parse_log"]
