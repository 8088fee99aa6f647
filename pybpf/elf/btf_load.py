"""The kernel's copy of an object's BTF, and the func/line info of each program.

clang leaves some BTF facts to the loader, which the kernel insists on: DATASEC
sizes and variable offsets (taken from the ELF section and symbol tables), and
``extern`` variables and functions (which the kernel does not accept in program
BTF). `KernelBtf` fixes those in a copy of the object's BTF, as libbpf does (an
object with ``.ksyms`` has its BTF re-encoded: libbpf's rewrite of them adds a
type), and turns ``.BTF.ext`` records into the ``func_info``/``line_info`` arrays
of one linked program (instruction offsets in slots of the program, string
offsets in the kernel's copy), so the verifier log shows C source lines.
"""

from __future__ import annotations

import struct
import sys

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from typing import Any

    from ..btf import Btf

_DATASEC, _VAR, _FUNC = 15, 14, 12  # BTF_KIND_* (pybpf.btf.format.Kind)
_EXTERN, _GLOBAL, _STATIC = 2, 1, 0  # BTF linkage (pybpf.btf.format.Linkage)


class KernelBtf:
    """The object's BTF prepared for BPF_BTF_LOAD.

    ``kconfig`` gives the ``.kconfig`` variable offsets the loader chose. Most objects'
    BTF is fixed in place, as libbpf does (a copy of the blob with DATASEC sizes and
    offsets and extern linkages rewritten: type ids and string offsets stay clang's);
    one with ``.ksyms`` gains a type and strings and is re-encoded (``builder`` is then
    the `pybpf.btf.writer.BtfBuilder` that wrote ``blob``, else None).
    """

    def __init__(self, local: Btf, ext: Any, section_sizes: dict[str, int],
                 section_symbols: dict[str, dict[str, int]], kconfig: dict[str, int]) -> None:
        self.local = local
        self.ext = ext
        self.builder: Any = None
        blob = _fixed_in_place(local, section_sizes, section_symbols, kconfig)
        if blob is None:
            from .btf_ksyms import reencoded

            self.builder = reencoded(local, ext, section_sizes, section_symbols, kconfig)
            blob = self.builder.encode()
        self.blob = blob
        self._fd: Any = None

    def fd(self) -> int:
        """Load into the kernel once (BPF_BTF_LOAD); the fd lives as long as this object."""
        if self._fd is None:
            from ..kernel.btf import load_btf

            self._fd = load_btf(self.blob)
        return self._fd.fd

    def close(self) -> None:
        if self._fd is not None:
            self._fd.close()
            self._fd = None

    def prog_info(self, placement: list[tuple[str, int, int, int]],
                  slots: list[int]) -> tuple[bytes, bytes]:
        """``(func_info, line_info)`` arrays for a linked program (8- and 16-byte records)."""
        funcs = bytearray()
        lines = bytearray()
        if self.ext is None:
            return b"", b""
        builder = self.builder
        for sec, fstart, flen, first in placement:
            base = slots[first]
            for fi in self.ext.func_info.get(sec, ()):
                if fi.insn_off == fstart:
                    funcs += struct.pack("<II", base, fi.type_id)
            for li in self.ext.line_info.get(sec, ()):
                if fstart <= li.insn_off < fstart + flen:
                    if builder is None:  # the blob keeps clang's strings where .BTF.ext says
                        file_off, line_off = li.file_name_off, li.line_off
                    else:
                        file_off, line_off = builder.add_string(li.file_name), \
                            builder.add_string(li.source)
                    lines += struct.pack("<IIII", base + (li.insn_off - fstart) // 8, file_off,
                                         line_off, li.line_col)
        return bytes(funcs), bytes(lines)


def datasec_layout(local: Btf, name: str, size: int, vars_: list[tuple[int, int, int]],
                    sizes: dict[str, int], symbols: dict[str, dict[str, int]],
                    kconfig: dict[str, int]) -> tuple[int, list[tuple[int, int, int]]]:
    """libbpf's DATASEC fix-up: the section's size and its ``(type, offset, size)``
    variables in address order, offsets from the ELF symbols (``kconfig``'s for
    ``.kconfig``), the size from the ELF section when clang left it 0."""
    offsets = kconfig if name == ".kconfig" else symbols.get(name, {})
    out = []
    end = 0
    for vtype, voff, vsize in vars_:
        off = offsets.get(local.type_name(vtype), voff)
        out.append((vtype, off, vsize))
        end = max(end, off + vsize)
    out.sort(key=lambda v: v[1])  # the kernel wants them in address order
    size = size or sizes.get(name, end)
    if name == ".kconfig":
        size = max(size, end)
    return size, out


def _fixed_in_place(local: Btf, sizes: dict[str, int], symbols: dict[str, dict[str, int]],
                    kconfig: dict[str, int]) -> bytes | None:
    """A copy of ``local``'s blob with DATASECs fixed and extern VARs made global, extern
    FUNCs static; None when it needs more (``.ksyms``: `pybpf.elf.btf_ksyms`) or is not in this
    machine's byte order."""
    if local.byteorder != sys.byteorder or local.base is not None:
        return None
    data = bytearray(local.data)
    w = local.words
    start = local.hdr_len + local.type_off
    tid = local.start_id
    pack = struct.pack_into
    for p in local.offsets:
        info = w[p + 1]
        kind = (info >> 24) & 0x1F
        pos = start + 4 * p
        if kind == 0 or (kind == _VAR and w[p + 3] > _EXTERN) or (
                kind == _FUNC and info & 0xFFFF > _EXTERN):
            return None  # (not valid BTF: the records' decoding says why)
        if kind == _DATASEC:
            name = local.string(w[p])
            if name == ".ksyms":
                return None
            size, vars_ = datasec_layout(local, name, w[p + 2], local.datasec_vars(tid), sizes,
                                          symbols, kconfig)
            pack("<I", data, pos + 8, size)
            for j, var in enumerate(vars_):
                pack("<III", data, pos + 12 + 12 * j, *var)
        elif kind == _VAR and w[p + 3] == _EXTERN:
            pack("<I", data, pos + 12, _GLOBAL)
        elif kind == _FUNC and info & 0xFFFF == _EXTERN:
            pack("<I", data, pos + 4, (info & ~0xFFFF) | _STATIC)
        tid += 1
    return bytes(data)
