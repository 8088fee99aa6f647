"""``.BTF.ext``: per-section func info, line info and CO-RE relocation records of an object.

Layout (all offsets relative to the end of the header, whose length is read from the
header itself)::

    header  magic:u16 version:u8 flags:u8 hdr_len:u32
            func_info_off func_info_len line_info_off line_info_len
            [core_relo_off core_relo_len]          (optional, hdr_len >= 32)
    each info block: rec_size:u32, then for each ELF section
            sec_name_off:u32 num_info:u32 num_info * rec_size bytes

Record sizes are read from the blob; records longer than pybpf knows are read by their
known prefix (forward compatible, as libbpf does). ``insn_off`` is a byte offset in the
ELF section (divide by 8 for an instruction index). Strings come from the matching
``.BTF``.

>>> ext = BtfExt(ext_bytes, btf)                                 # doctest: +SKIP
>>> ext.line_info["tracepoint/syscalls/sys_enter_openat"][0].line   # doctest: +SKIP
12
"""
from __future__ import annotations

import struct

from .._record import Frozen
from ..errors import BtfError
from .format import MAGIC
from .parse import Btf

_set = object.__setattr__  # past the frozen __setattr__, as dataclasses' __init__ does

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from .relo_kind import CoreRelo, CoreReloKind


def __getattr__(name: str) -> object:
    # CoreRelo and CoreReloKind live in .relo_kind, imported when an object has CO-RE
    # relocations (an enum class costs an object loader's start-up ~0.3M instructions)
    if name in ("CoreRelo", "CoreReloKind"):
        from . import relo_kind

        return getattr(relo_kind, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_HDR_MIN = 24
_HDR_CORE = 32


class FuncInfo(Frozen):
    """A function starts at ``insn_off`` (bytes) with BTF FUNC ``type_id``."""

    __slots__ = __match_args__ = ("insn_off", "type_id")

    insn_off: int
    type_id: int

    def __init__(self, insn_off: int, type_id: int) -> None:
        _set(self, "insn_off", insn_off)
        _set(self, "type_id", type_id)

    @property
    def insn(self) -> int:
        return self.insn_off // 8


class LineInfo(Frozen):
    """The instruction at ``insn_off`` (bytes) comes from ``file_name:line:column``."""

    __slots__ = __match_args__ = ("insn_off", "file_name_off", "line_off", "line_col", "file_name",
                                  "source")

    insn_off: int
    file_name_off: int
    line_off: int
    line_col: int
    file_name: str
    source: str

    def __init__(self, insn_off: int, file_name_off: int, line_off: int, line_col: int,
                 file_name: str, source: str) -> None:
        _set(self, "insn_off", insn_off)
        _set(self, "file_name_off", file_name_off)
        _set(self, "line_off", line_off)
        _set(self, "line_col", line_col)
        _set(self, "file_name", file_name)
        _set(self, "source", source)

    @property
    def insn(self) -> int:
        return self.insn_off // 8

    @property
    def line(self) -> int:
        return self.line_col >> 10

    @property
    def column(self) -> int:
        return self.line_col & 0x3FF


class InfoBlock(Frozen):
    """One info kind's raw data: record size and, per section, the raw record bytes."""

    __slots__ = __match_args__ = ("rec_size", "sections")

    rec_size: int
    sections: dict[str, bytes]

    def __init__(self, rec_size: int, sections: dict[str, bytes]) -> None:
        _set(self, "rec_size", rec_size)
        _set(self, "sections", sections)


class BtfExt:
    """A parsed ``.BTF.ext``: ``func_info``, ``line_info``, ``core_relos`` keyed by ELF section.

    ``data`` is the section's bytes; ``btf`` is the object's parsed ``.BTF`` (its strings
    name sections, files, source lines and access strings).
    """

    def __init__(self, data: bytes, btf: Btf) -> None:
        self.data = bytes(data)
        self.btf = btf
        d = self.data
        if len(d) < 8:
            raise BtfError(f".BTF.ext: {len(d)} bytes is too short for a header", offset=0)
        magic, version, flags, hdr_len = struct.unpack_from("<HBBI", d, 0)
        if magic != MAGIC:
            raise BtfError(f".BTF.ext: bad magic {magic:#06x} (want 0xeb9f)", offset=0)
        if version != 1:
            raise BtfError(f".BTF.ext: unsupported version {version}", offset=2)
        if hdr_len < _HDR_MIN or hdr_len > len(d):
            raise BtfError(f".BTF.ext: header length {hdr_len} outside {_HDR_MIN}..{len(d)}", offset=4)
        self.version, self.flags, self.hdr_len = version, flags, hdr_len
        fi_off, fi_len, li_off, li_len = struct.unpack_from("<IIII", d, 8)
        core_off = core_len = 0
        if hdr_len >= _HDR_CORE:
            core_off, core_len = struct.unpack_from("<II", d, 24)
        self.raw_func_info = self._block("func_info", fi_off, fi_len, 8)
        self.raw_line_info = self._block("line_info", li_off, li_len, 16)
        self.raw_core_relos = self._block("core_relo", core_off, core_len, 16)
        self.func_info: dict[str, list[FuncInfo]] = {
            sec: [FuncInfo(*struct.unpack_from("<II", raw, i))
                  for i in range(0, len(raw), self.raw_func_info.rec_size)]
            for sec, raw in self.raw_func_info.sections.items()}
        self.line_info: dict[str, list[LineInfo]] = {
            sec: [self._line(raw, i) for i in range(0, len(raw), self.raw_line_info.rec_size)]
            for sec, raw in self.raw_line_info.sections.items()}
        self.core_relos: dict[str, list[CoreRelo]] = {
            sec: [self._core(raw, i) for i in range(0, len(raw), self.raw_core_relos.rec_size)]
            for sec, raw in self.raw_core_relos.sections.items()}

    def _block(self, what: str, off: int, length: int, min_rec: int) -> InfoBlock:
        if length == 0:
            return InfoBlock(min_rec, {})
        d = self.data
        start = self.hdr_len + off
        end = start + length
        if off % 4 or end > len(d) or length < 4:
            raise BtfError(f".BTF.ext: {what} {off}+{length} outside the {len(d) - self.hdr_len} "
                           "data bytes or misaligned", offset=start)
        (rec_size,) = struct.unpack_from("<I", d, start)
        if rec_size < min_rec or rec_size % 4:
            raise BtfError(f".BTF.ext: {what} record size {rec_size} (need a multiple of 4, "
                           f">= {min_rec})", offset=start)
        sections: dict[str, bytes] = {}
        pos = start + 4
        while pos < end:
            if pos + 8 > end:
                raise BtfError(f".BTF.ext: truncated {what} section header", offset=pos)
            name_off, num = struct.unpack_from("<II", d, pos)
            if num == 0:
                raise BtfError(f".BTF.ext: {what} section with no records", offset=pos)
            body = pos + 8
            stop = body + num * rec_size
            if stop > end:
                raise BtfError(f".BTF.ext: {what} records run past the block ({num} x {rec_size})",
                               offset=pos)
            name = self._str(name_off, pos)
            if name in sections:
                raise BtfError(f".BTF.ext: {what} lists section {name!r} twice", offset=pos)
            sections[name] = bytes(d[body:stop])
            pos = stop
        return InfoBlock(rec_size, sections)

    def _str(self, off: int, where: int) -> str:
        try:
            return self.btf.string(off)
        except (BtfError, ValueError):
            raise BtfError(f".BTF.ext: string offset {off} is not in .BTF's strings", offset=where) from None

    def _line(self, raw: bytes, i: int) -> LineInfo:
        insn_off, file_off, line_off, line_col = struct.unpack_from("<IIII", raw, i)
        return LineInfo(insn_off, file_off, line_off, line_col, self._str(file_off, i),
                        self._str(line_off, i))

    def _core(self, raw: bytes, i: int) -> CoreRelo:
        insn_off, type_id, acc_off, kind = struct.unpack_from("<IIII", raw, i)
        from .relo_kind import CoreRelo, CoreReloKind  # (lazy: see the module's __getattr__)

        try:
            k = CoreReloKind(kind)
        except ValueError:
            raise BtfError(f".BTF.ext: unknown CO-RE relocation kind {kind}", offset=i) from None
        if type_id >= self.btf.nr_types:
            raise BtfError(f".BTF.ext: CO-RE relocation refers to type {type_id} beyond the last id",
                           offset=i, type_id=type_id)
        return CoreRelo(insn_off, type_id, acc_off, k, self._str(acc_off, i))

    def func_info_blob(self, section: str, insn_base: int = 0) -> bytes:
        """Func info for BPF_PROG_LOAD: records of ``section`` with ``insn_off`` turned into an
        instruction index (minus ``insn_base`` instructions), in the blob's record size."""
        return _rebase(self.raw_func_info, section, insn_base)

    def line_info_blob(self, section: str, insn_base: int = 0) -> bytes:
        """Line info for BPF_PROG_LOAD, like `func_info_blob`."""
        return _rebase(self.raw_line_info, section, insn_base)

    def __repr__(self) -> str:
        n = sum(map(len, self.func_info.values())), sum(map(len, self.line_info.values())), \
            sum(map(len, self.core_relos.values()))
        return f"<BtfExt func_info={n[0]} line_info={n[1]} core_relos={n[2]}>"


def _rebase(block: InfoBlock, section: str, insn_base: int) -> bytes:
    raw = block.sections.get(section, b"")
    out = bytearray(raw)
    for i in range(0, len(out), block.rec_size):
        (off,) = struct.unpack_from("<I", out, i)
        struct.pack_into("<I", out, i, off // 8 - insn_base)
    return bytes(out)


def encode_ext(add_string, *, func_info: dict[str, list[tuple[int, int]]] | None = None,  # noqa: ANN001
               line_info: dict[str, list[tuple[int, str, str, int, int]]] | None = None,
               core_relos: dict[str, list[tuple[int, int, str, int]]] | None = None) -> bytes:
    """Encode a ``.BTF.ext`` blob (header with CO-RE part, 32 bytes).

    ``add_string`` adds a string to the matching ``.BTF`` and returns its offset (e.g.
    `BtfBuilder.add_string`). Records: func ``(insn_off, type_id)``, line
    ``(insn_off, file, source, line, column)``, CO-RE ``(insn_off, type_id, access, kind)``;
    ``insn_off`` in bytes.

    >>> from pybpf.btf.writer import BtfBuilder
    >>> b = BtfBuilder()
    >>> blob = encode_ext(b.add_string, func_info={"xdp": [(0, 1)]})
    >>> len(blob)
    52
    """
    def block(rec_size: int, secs: dict[str, list[bytes]] | None) -> bytes:
        if not secs:
            return b""
        out = bytearray(struct.pack("<I", rec_size))
        for name, recs in secs.items():
            out += struct.pack("<II", add_string(name), len(recs)) + b"".join(recs)
        return bytes(out)

    fi = block(8, {s: [struct.pack("<II", *r) for r in rs] for s, rs in (func_info or {}).items()})
    li = block(16, {s: [struct.pack("<IIII", off, add_string(f), add_string(src), (ln << 10) | (col & 0x3FF))
                        for off, f, src, ln, col in rs] for s, rs in (line_info or {}).items()})
    cr = block(16, {s: [struct.pack("<IIII", off, tid, add_string(acc), kind) for off, tid, acc, kind in rs]
                    for s, rs in (core_relos or {}).items()})
    hdr = struct.pack("<HBBIIIIIII", MAGIC, 1, 0, _HDR_CORE, 0, len(fi), len(fi), len(li),
                      len(fi) + len(li), len(cr))
    return hdr + fi + li + cr
