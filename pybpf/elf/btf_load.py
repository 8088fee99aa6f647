"""The kernel's copy of an object's BTF, and the func/line info of each program.

clang leaves some BTF facts to the loader, which the kernel insists on: DATASEC
sizes and variable offsets (taken from the ELF section and symbol tables), and
``extern`` variables and functions (which the kernel does not accept in program
BTF). `KernelBtf` re-encodes the object BTF with those fixed, as libbpf does,
and turns ``.BTF.ext`` records into the ``func_info``/``line_info`` arrays of
one linked program (instruction offsets in slots of the program, string
offsets in the re-encoded BTF), so the verifier log shows C source lines.
"""

from __future__ import annotations

import struct

from ..btf import Btf, Linkage
from ..btf import types as T
from ..btf.writer import BtfBuilder

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from typing import Any


class KernelBtf:
    """The object's BTF prepared for BPF_BTF_LOAD.

    ``kconfig`` gives the ``.kconfig`` variable offsets the loader chose.
    """

    def __init__(self, local: Btf, ext: Any, section_sizes: dict[str, int],
                 section_symbols: dict[str, dict[str, int]], kconfig: dict[str, int]) -> None:
        self.local = local
        self.ext = ext
        b = BtfBuilder()
        records = list(local)  # (decoded once for the three passes below)
        ksyms = next((rec for rec in records
                      if isinstance(rec, T.Datasec) and rec.name == ".ksyms"), None)
        ksym_funcs = {vs.type for vs in ksyms.vars if isinstance(local[vs.type], T.Func)} \
            if ksyms is not None else set()
        # libbpf's way with .ksyms: every entry becomes a 4-byte int variable (kernel
        # functions through one added "dummy_ksym" variable), the functions themselves
        # global, their unnamed parameters named after the dummy variable
        int_id = next((rec.id for rec in records if isinstance(rec, T.Int) and rec.bits == 32), 0)
        dummy_id = local.nr_types if ksym_funcs else 0
        protos = {rec.type for f in ksym_funcs if isinstance(rec := local[f], T.Func)}
        for rec in records:
            if isinstance(rec, T.Var) and rec.linkage == Linkage.EXTERN:
                in_ksyms = ksyms is not None and any(vs.type == rec.id for vs in ksyms.vars)
                b.add(T.Var(rec.id, rec.kind, rec.name, int_id if in_ksyms and int_id else rec.type,
                            Linkage.GLOBAL))
            elif isinstance(rec, T.Func) and rec.id in ksym_funcs:
                b.add(T.Func(rec.id, rec.kind, rec.name, rec.type, Linkage.GLOBAL))
            elif isinstance(rec, T.Func) and rec.linkage == Linkage.EXTERN:
                b.add(T.Func(rec.id, rec.kind, rec.name, rec.type, Linkage.STATIC))
            elif isinstance(rec, T.FuncProto) and rec.id in protos:
                params = tuple(T.Param(p.name or ("dummy_ksym" if p.type else ""), p.type)
                               for p in rec.params)
                b.add(T.FuncProto(rec.id, rec.kind, rec.name, rec.type, params))
            elif isinstance(rec, T.Datasec) and rec is ksyms:
                b.add(T.Datasec(rec.id, rec.kind, rec.name, 4 * len(rec.vars), tuple(
                    T.VarSecinfo(dummy_id if vs.type in ksym_funcs else vs.type, 4 * i, 4)
                    for i, vs in enumerate(rec.vars))))
            elif isinstance(rec, T.Datasec):
                b.add(self._datasec(local, rec, section_sizes, section_symbols, kconfig))
            else:
                b.add(rec)
        if dummy_id:
            got = b.add_var("dummy_ksym", int_id, Linkage.GLOBAL)
            assert got == dummy_id, (got, dummy_id)
        if ext is not None:
            for records in ext.line_info.values():
                for li in records:
                    b.add_string(li.file_name)
                    b.add_string(li.source)
        self.builder = b
        self.blob = b.encode()
        self._fd: Any = None

    @staticmethod
    def _datasec(local: Btf, rec: T.Datasec, sizes: dict[str, int],
                 symbols: dict[str, dict[str, int]], kconfig: dict[str, int]) -> T.Datasec:
        offsets = kconfig if rec.name == ".kconfig" else symbols.get(rec.name, {})
        vars_ = []
        end = 0
        for vs in rec.vars:
            name = local[vs.type].name
            off = offsets.get(name, vs.offset)
            vars_.append(T.VarSecinfo(vs.type, off, vs.size))
            end = max(end, off + vs.size)
        vars_.sort(key=lambda v: v.offset)  # the kernel wants them in address order
        size = rec.size or sizes.get(rec.name, end)
        if rec.name == ".kconfig":
            size = max(size, end)
        return T.Datasec(rec.id, rec.kind, rec.name, size, tuple(vars_))

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
        for sec, fstart, flen, first in placement:
            base = slots[first]
            for fi in self.ext.func_info.get(sec, ()):
                if fi.insn_off == fstart:
                    funcs += struct.pack("<II", base, fi.type_id)
            for li in self.ext.line_info.get(sec, ()):
                if fstart <= li.insn_off < fstart + flen:
                    lines += struct.pack("<IIII", base + (li.insn_off - fstart) // 8,
                                         self.builder.add_string(li.file_name),
                                         self.builder.add_string(li.source), li.line_col)
        return bytes(funcs), bytes(lines)
