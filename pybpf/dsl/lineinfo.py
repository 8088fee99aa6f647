"""BTF function and line info for a compiled probe, so the kernel's own verifier log (and
``bpftool prog dump xlated``) shows the Python lines the instructions came from.

>>> from pybpf.isa.program import ProgramSpec, SourceLine
>>> from pybpf.isa import Insn
>>> p = ProgramSpec([Insn(0xb7, 0, 0, 0, 0), Insn(0x95)], name="p")
>>> p.lines = {0: SourceLine("probe.py", 3, 5, "return 0"), 1: SourceLine("probe.py", 3, 5, "return 0")}
>>> blob, func_info, line_info = line_info_blobs(p)
>>> len(func_info), len(line_info)
(8, 16)
"""

from __future__ import annotations

import struct

from ..btf.format import IntEncoding, Linkage
from ..btf.writer import BtfBuilder
from ..isa.program import ProgramSpec

FUNC_INFO_REC = 8   # struct bpf_func_info { u32 insn_off; u32 type_id; }
LINE_INFO_REC = 16  # struct bpf_line_info { u32 insn_off, file_name_off, line_off, line_col; }


def line_info_blobs(prog: ProgramSpec) -> tuple[bytes, bytes, bytes]:
    """(BTF blob, func_info, line_info) for ``prog``: one function ``int name(void *ctx)`` for
    the program and one (static) per subprogram (labels ``fn:NAME``, as the DSL names them),
    and a line record wherever the source line changes (instruction offsets in slots)."""
    b = BtfBuilder()
    int_t = b.add_int("int", 4, IntEncoding.SIGNED)
    void_ptr = b.add_ptr(0)
    proto = b.add_func_proto(int_t, [("ctx", void_ptr)])
    offsets = prog.slot_offsets()
    funcs = [(0, b.add_func(prog.name or "probe", proto, Linkage.GLOBAL))]
    for label, index in sorted(prog.labels.items(), key=lambda kv: kv[1]):
        if label.startswith("fn:"):
            sub_proto = b.add_func_proto(int_t, [("a", void_ptr), ("b", void_ptr)])
            funcs.append((offsets[index], b.add_func(label[3:], sub_proto, Linkage.STATIC)))
    starts = {off for off, _ in funcs}
    lines: list[bytes] = []
    last = None
    for idx in range(len(prog.insns)):
        src = prog.lines.get(idx)
        off = offsets[idx]
        if src is None or (off not in starts and src == last):
            continue
        if not lines and idx != 0:  # the first record must be at instruction 0
            lines.append(struct.pack("<IIII", 0, b.add_string(src.filename or "?"),
                                     b.add_string(src.text or ""), (src.line << 10) | (src.column & 0x3FF)))
        lines.append(struct.pack("<IIII", off, b.add_string(src.filename or "?"),
                                 b.add_string(src.text or ""), (src.line << 10) | (src.column & 0x3FF)))
        last = src
    func_info = b"".join(struct.pack("<II", off, tid) for off, tid in funcs)
    return b.encode(), func_info, b"".join(lines)
