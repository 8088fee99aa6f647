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

from ..errors import BtfError
from ..isa.program import ProgramSpec

FUNC_INFO_REC = 8   # struct bpf_func_info { u32 insn_off; u32 type_id; }
LINE_INFO_REC = 16  # struct bpf_line_info { u32 insn_off, file_name_off, line_off, line_col; }

# The four kinds this blob holds, written here as `pybpf.btf.writer.BtfBuilder` writes them
# (the same bytes: tests/dsl/test_lineinfo.py): importing the writer and its format tables
# costs a probe's start-up more than the rest of its line info.
_HDR = struct.Struct("<HBBIIIII")  # magic, version, flags, hdr_len, type off/len, str off/len
_MAGIC = 0xEB9F
_INT, _PTR, _FUNC, _FUNC_PROTO = 1, 2, 12, 13  # BTF_KIND_*
_SIGNED = 1  # BTF_INT_SIGNED
_STATIC, _GLOBAL = 0, 1  # BTF_FUNC_* linkage


class _Blob:
    """Types and strings of one small BTF blob (ids from 1; strings added once)."""

    def __init__(self) -> None:
        self.types: list[bytes] = []
        self.strs = bytearray(b"\0")
        self.index: dict[str, int] = {"": 0}

    def string(self, s: str) -> int:
        off = self.index.get(s)
        if off is None:
            if "\0" in s:
                raise BtfError(f"string {s!r} contains a NUL byte")
            off = self.index[s] = len(self.strs)
            self.strs += s.encode("utf-8", "surrogateescape") + b"\0"
        return off

    def add(self, name: str, kind: int, vlen: int, word: int, extra: bytes = b"") -> int:
        self.types.append(struct.pack("<III", self.string(name), (kind << 24) | vlen, word) + extra)
        return len(self.types)

    def proto(self, ret: int, params: list[tuple[str, int]]) -> int:
        extra = b"".join(struct.pack("<II", self.string(n), t) for n, t in params)
        return self.add("", _FUNC_PROTO, len(params), ret, extra)

    def encode(self) -> bytes:
        types = b"".join(self.types)
        return _HDR.pack(_MAGIC, 1, 0, 24, 0, len(types), len(types), len(self.strs)) + types + \
            bytes(self.strs)


def line_info_blobs(prog: ProgramSpec) -> tuple[bytes, bytes, bytes]:
    """(BTF blob, func_info, line_info) for ``prog``: one function ``int name(void *ctx)`` for
    the program and one (static) per subprogram (labels ``fn:NAME``, as the DSL names them),
    and a line record wherever the source line changes (instruction offsets in slots)."""
    b = _Blob()
    int_t = b.add("int", _INT, 0, 4, struct.pack("<I", (_SIGNED << 24) | 32))
    void_ptr = b.add("", _PTR, 0, 0)
    proto = b.proto(int_t, [("ctx", void_ptr)])
    offsets = prog.slot_offsets()
    funcs = [(0, b.add(prog.name or "probe", _FUNC, _GLOBAL, proto))]
    for label, index in sorted(prog.labels.items(), key=lambda kv: kv[1]):
        if label.startswith("fn:"):
            sub_proto = b.proto(int_t, [("a", void_ptr), ("b", void_ptr)])
            funcs.append((offsets[index], b.add(label[3:], _FUNC, _STATIC, sub_proto)))
    starts = {off for off, _ in funcs}
    lines: list[bytes] = []
    last = None
    for idx in range(len(prog.insns)):
        src = prog.lines.get(idx)
        off = offsets[idx]
        if src is None or (off not in starts and src == last):
            continue
        if not lines and idx != 0:  # the first record must be at instruction 0
            lines.append(struct.pack("<IIII", 0, b.string(src.filename or "?"),
                                     b.string(src.text or ""), (src.line << 10) | (src.column & 0x3FF)))
        lines.append(struct.pack("<IIII", off, b.string(src.filename or "?"),
                                 b.string(src.text or ""), (src.line << 10) | (src.column & 0x3FF)))
        last = src
    func_info = b"".join(struct.pack("<II", off, tid) for off, tid in funcs)
    return b.encode(), func_info, b"".join(lines)
