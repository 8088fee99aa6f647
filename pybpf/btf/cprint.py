"""Print BTF as C declarations: a ``vmlinux.h`` equal to ``bpftool btf dump ... format c``.

The algorithm is libbpf's btf_dump, restated: (1) *order*: a depth-first walk from each
type id puts named structs/unions/enums/typedefs into an emit queue after the types they
embed ("strong" references); references through pointers are "weak" and are satisfied by a
forward declaration; (2) *emit*: each queued type is emitted after making sure every type
its definition mentions is declared, with anonymous types printed inline. Duplicate names
get a ``___N`` suffix in order of first use, as bpftool does.

The printer works on flat per-id lists rather than decoded records, so printing the
~130k types of a kernel's BTF stays fast.

>>> from pybpf.btf import vmlinux
>>> text = to_c(vmlinux())                       # doctest: +SKIP
>>> "struct task_struct {" in text               # doctest: +SKIP
True
"""
from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import TextIO

from ..errors import BtfError
from .cdecl import MODIFIER_KINDS, Declarators
from .flat import (
    K_ARRAY,
    K_CONST,
    K_DATASEC,
    K_DECL_TAG,
    K_ENUM,
    K_ENUM64,
    K_FLOAT,
    K_FUNC,
    K_FUNC_PROTO,
    K_FWD,
    K_INT,
    K_PTR,
    K_RESTRICT,
    K_STRUCT,
    K_TYPE_TAG,
    K_TYPEDEF,
    K_UNION,
    K_VAR,
    K_VOLATILE,
    FlatTable,
    kind_mask,
)
from .parse import Btf

_ASKS_REFERENCED = kind_mask((K_ENUM, K_ENUM64, K_FWD))
_ORDERED = kind_mask((0, K_INT, K_FLOAT, K_FUNC, K_VAR, K_DATASEC, K_DECL_TAG), invert=True)
_MAX_RESOLVE_DEPTH = 32

# order/emit states
_NOT, _ING, _ED = 0, 1, 2

HEADER = ("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n"
          "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
          "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
          "#endif\n\n")
FOOTER = ("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n"
          "#endif /* __VMLINUX_H__ */\n")

_PFX = "\t" * 24
#: Typedefs some compilers know but that BTF encodes as plain ints (arm64 NEON polynomial types).
_MISSING_ALIASES = {"__Poly8_t": "unsigned char", "__Poly16_t": "unsigned short",
                    "__Poly64_t": "unsigned long long", "__Poly128_t": "unsigned __int128"}


def _pfx(lvl: int) -> str:
    """``lvl`` tabs, at most 24 (as libbpf); the same as ``_PFX[:lvl]``, which hot code inlines."""
    return _PFX[:lvl]


class CPrinter(Declarators):
    """libbpf's btf_dump for C, over one `Btf` (module BTF: with its base).

    >>> p = CPrinter(vmlinux())       # doctest: +SKIP
    >>> p.dump_all()[:22]             # doctest: +SKIP
    'typedef signed char __s8;\\n\\n'
    """

    def __init__(self, btf: Btf, *, enum_modes: bool = False) -> None:
        self.btf = btf
        #: Newer libbpf's sized enums: ``__attribute__((mode(byte)))`` on 1-byte enums and
        #: ``mode(word)`` on 8-byte ones whose values fit 32 bits (bpftool 7.1 prints neither,
        #: which mislays members after a 1-byte ``enum x : u8`` field).
        self.enum_modes = enum_modes
        t = self.t = FlatTable(btf)
        n = t.n
        self.referenced: set[int] = set()
        self.order_state = [_NOT] * n  # lists, not bytearrays: CPython specialises list indexing
        self.emit_state = [_NOT] * n
        self.fwd_emitted = [0] * n
        self.order_state[0] = _ED
        self.emit_state[0] = _ED
        self.cached: list[str | None] = [None] * n
        self.type_names: dict[str, int] = {}
        self.ident_names: dict[str, int] = {}
        self.align: list[int] = [-1] * n
        self.packed = [0] * n  # filled with align (structs and unions)
        self.sizes: list[int | None] = [None] * n
        self.bits: list[int | None] = [None] * n  # max(size, 0) in bits
        #: Declarator pieces of types whose declaration prints no anonymous definition inline:
        #: ``parts[t] = (before, after)`` the declared name, ``bare[t]`` the text with no name;
        #: False where the general machinery is needed (computed on first use).
        self.parts: list = [None] * n
        self.bare: list = [None] * n
        self.plain = [0] * n
        self.plain[0] = 1
        self.member_names: dict[int, str] = {}
        self.ptr_sz = self._ptr_size()
        self.out: list[str] = []
        #: Work left for the parts of the walk that are not memoised (function prototypes are
        #: revisited per use): bounds the time a hostile blob can take.
        self.budget = 64 * n + 100_000
        self._mark_referenced()

    # ------------------------------------------------------------------ setup
    def _ptr_size(self) -> int:
        t = self.t
        for tid in range(1, t.n):
            if t.kind[tid] == K_INT and t.name(tid) in ("long", "long int", "long unsigned int",
                                                        "unsigned long", "unsigned long int"):
                return t.word[tid]
        return 8

    def _mark_referenced(self) -> None:
        # Only unnamed enums and forward declarations ask whether they are referenced.
        t = self.t
        candidates = {tid for tid in t.ids(_ASKS_REFERENCED) if not t.name_off[tid]}
        self.referenced = t.referenced(candidates)

    # ------------------------------------------------------------------ names
    def _dups(self, names: dict[str, int], name: str) -> int:
        c = names.get(name, 0) + 1
        names[name] = c
        return c

    def _resolve_name(self, tid: int, names: dict[str, int]) -> str:
        nm = self.cached[tid]
        if nm is not None:
            return nm
        t = self.t
        orig = t.name(tid)
        if not orig:
            self.cached[tid] = ""
            return ""
        k = t.kind[tid]
        if k == K_FWD or (k == K_ENUM and t.info[tid] & 0xFFFF == 0):
            self.cached[tid] = orig
            return orig
        c = self._dups(names, orig)
        nm = f"{orig}___{c}" if c > 1 else orig
        self.cached[tid] = nm
        return nm

    def type_name(self, tid: int) -> str:
        return self._resolve_name(tid, self.type_names)

    def ident_name(self, tid: int) -> str:
        return self._resolve_name(tid, self.ident_names)

    # ------------------------------------------------------------------ sizes
    def align_of(self, tid: int, depth: int = 0) -> int:
        a = self.align[tid]
        if a >= 0:
            return a
        if depth > _MAX_RESOLVE_DEPTH:
            raise BtfError(f"{self.btf.name}: type nesting too deep computing alignment", type_id=tid)
        t = self.t
        k = t.kind[tid]
        if k in (K_INT, K_ENUM, K_ENUM64, K_FLOAT):
            a = min(self.ptr_sz, t.word[tid])
        elif k == K_PTR:
            a = self.ptr_sz
        elif k in (K_TYPEDEF, K_VOLATILE, K_CONST, K_RESTRICT, K_TYPE_TAG):
            a = self.align_of(t.word[tid], depth + 1)
        elif k == K_ARRAY:
            a = self.align_of(t.words_of[tid][t.pos[tid] + 0], depth + 1)
        elif k in (K_STRUCT, K_UNION):
            # One pass gives the alignment (libbpf's btf__align_of: 0 if a member has none,
            # 1 if one is misaligned or the size is not a multiple) and whether the struct
            # needs __attribute__((packed)) (btf_is_struct_packed).
            w, p, vlen = t.words_of[tid], t.pos[tid], t.info[tid] & 0xFFFF
            kflag = t.info[tid] >> 31
            a = -1  # undecided until the first member without alignment or misaligned
            top = 1
            packed = 0
            aligns = self.align
            end = p + 3 * vlen
            for m, off in zip(w[p + 1:end:3], w[p + 2:end:3], strict=False):
                ma = aligns[m]
                if ma < 0:
                    ma = self.align_of(m, depth + 1)
                if ma > 0:
                    if ma > top:
                        top = ma
                    if off % (8 * ma) and (not kflag or off >> 24 == 0):
                        packed = 1
                        if a < 0:
                            a = 1
                elif a < 0:
                    a = 0
            size = t.word[tid]
            if a < 0:
                a = 1 if size % top else top
            if size % top:
                packed = 1
            self.packed[tid] = packed
        else:
            a = 0
        self.align[tid] = a
        return a

    def resolve_size(self, tid: int) -> int:
        sz = self.sizes[tid]
        if sz is None:
            sz = self.sizes[tid] = self._resolve_size(tid)
        return sz

    def _resolve_size(self, tid: int) -> int:
        t = self.t
        nelems = 1
        for _ in range(_MAX_RESOLVE_DEPTH):
            if tid == 0:
                return -1
            k = t.kind[tid]
            if k in (K_INT, K_STRUCT, K_UNION, K_ENUM, K_ENUM64, K_DATASEC, K_FLOAT):
                return nelems * t.word[tid]
            if k == K_PTR:
                return nelems * self.ptr_sz
            if k in (K_TYPEDEF, K_VOLATILE, K_CONST, K_RESTRICT, K_VAR, K_DECL_TAG, K_TYPE_TAG):
                tid = t.word[tid]
            elif k == K_ARRAY:
                w, p = t.words_of[tid], t.pos[tid]
                nelems *= w[p + 2]
                tid = w[p]
            else:
                return -1
        return -1

    # ------------------------------------------------------------------ ordering
    def _order(self, tid: int, through_ptr: bool) -> int:
        st = self.order_state
        s = st[tid]
        if s == _ED:
            return 1
        t = self.t
        k = t.kind[tid]
        if s == _ING:
            if (k == K_STRUCT or k == K_UNION) and through_ptr and t.name_off[tid]:
                return 0
            raise BtfError(f"{self.btf.name}: unsatisfiable type cycle", type_id=tid)
        if k == K_INT or k == K_FLOAT:
            st[tid] = _ED
            return 0
        if k == K_PTR:
            x = t.word[tid]
            r = 1 if st[x] == _ED else self._order(x, True)
            st[tid] = _ED
            return r
        if k == K_ARRAY:
            # (arrays and modifiers pass the walk on; once their target is done, so are they)
            x = t.words_of[tid][t.pos[tid]]
            r = 1 if st[x] == _ED else self._order(x, False)
            if st[x] == _ED:
                st[tid] = _ED
            return r
        if k == K_STRUCT or k == K_UNION:
            named = t.name_off[tid]
            if through_ptr and named:
                return 0
            st[tid] = _ING
            w, p, vlen = t.words_of[tid], t.pos[tid], t.info[tid] & 0xFFFF
            order = self._order
            for m in w[p + 1:p + 3 * vlen:3]:
                if st[m] != _ED:
                    order(m, False)
            if named:
                self.queue.append(tid)
            st[tid] = _ED
            return 1
        if k == K_ENUM or k == K_ENUM64 or k == K_FWD:
            if t.name_off[tid] or tid not in self.referenced:
                self.queue.append(tid)
            st[tid] = _ED
            return 1
        if k == K_TYPEDEF:
            x = t.word[tid]
            strong = 1 if st[x] == _ED else self._order(x, through_ptr)
            if through_ptr and not strong:
                return 0
            self.queue.append(tid)
            st[tid] = _ED
            return 1
        if k in MODIFIER_KINDS:
            x = t.word[tid]
            r = 1 if st[x] == _ED else self._order(x, through_ptr)
            if st[x] == _ED:
                st[tid] = _ED
            return r
        if k == K_FUNC_PROTO:
            self.budget -= 1
            if self.budget < 0:
                raise BtfError(f"{self.btf.name}: type graph too large to print (function prototype "
                               "fan-out)", type_id=tid)
            r = t.word[tid]
            strong = st[r] == _ED or self._order(r, through_ptr) > 0
            w, p, vlen = t.words_of[tid], t.pos[tid], t.info[tid] & 0xFFFF
            for r in w[p + 1:p + 2 * vlen:2]:
                if st[r] == _ED or self._order(r, through_ptr) > 0:
                    strong = True
            return int(strong)
        if k in (K_FUNC, K_VAR, K_DATASEC, K_DECL_TAG):
            st[tid] = _ED
            return 0
        raise BtfError(f"{self.btf.name}: invalid kind {k}", type_id=tid)

    # ------------------------------------------------------------------ emitting
    def _emit(self, tid: int, cont_id: int) -> None:
        es = self.emit_state
        s = es[tid]
        if s == _ED:
            return
        t = self.t
        k = t.kind[tid]
        out = self.out
        if s == _ING:
            if self.fwd_emitted[tid]:
                return
            if k == K_STRUCT or k == K_UNION:
                if tid == cont_id:
                    return
                if not t.name_off[tid]:
                    raise BtfError(f"{self.btf.name}: anonymous struct/union loop", type_id=tid)
                out.append(self._struct_fwd(tid))
                out.append(";\n\n")
                self.fwd_emitted[tid] = 1
            elif k == K_TYPEDEF:
                if not self._blacklisted(tid):
                    self._typedef_def(tid, 0)
                    out.append(";\n\n")
                self.fwd_emitted[tid] = 1
            return
        if k == K_INT:
            if t.name(tid) in _MISSING_ALIASES:
                out.append(f"typedef {_MISSING_ALIASES[t.name(tid)]} {t.name(tid)};\n\n")
            es[tid] = _ED
        elif k == K_ENUM or k == K_ENUM64:
            if cont_id == 0:
                self._enum_def(tid, 0)
                out.append(";\n\n")
            es[tid] = _ED
        elif k in (K_PTR, K_VOLATILE, K_CONST, K_RESTRICT, K_TYPE_TAG, K_ARRAY):
            # These only pass the walk on to their target. Once the target is emitted (or
            # forward-declared: a no-op for every container), so are they.
            x = t.word[tid] if k != K_ARRAY else t.words_of[tid][t.pos[tid]]
            if es[x] != _ED:
                self._emit(x, cont_id)
            if es[x] == _ED or self.fwd_emitted[x]:
                es[tid] = _ED
        elif k == K_FWD:
            out.append(self._fwd_def(tid))
            out.append(";\n\n")
            es[tid] = _ED
        elif k == K_TYPEDEF:
            es[tid] = _ING
            self._emit(t.word[tid], tid)
            if not self.fwd_emitted[tid] and not self._blacklisted(tid):
                self._typedef_def(tid, 0)
                out.append(";\n\n")
            es[tid] = _ED
        elif k == K_STRUCT or k == K_UNION:
            es[tid] = _ING
            top = cont_id == 0
            named = t.name_off[tid]
            if top or not named:
                new_cont = tid if named else cont_id
                w, p, vlen = t.words_of[tid], t.pos[tid], t.info[tid] & 0xFFFF
                emit = self._emit
                for m in w[p + 1:p + 3 * vlen:3]:
                    if es[m] != _ED:
                        emit(m, new_cont)
            elif not self.fwd_emitted[tid] and tid != cont_id:
                out.append(self._struct_fwd(tid))
                out.append(";\n\n")
                self.fwd_emitted[tid] = 1
            if top:
                self._struct_def(tid, 0)
                out.append(";\n\n")
                es[tid] = _ED
            else:
                es[tid] = _NOT
        elif k == K_FUNC_PROTO:
            x = t.word[tid]
            if es[x] != _ED:
                self._emit(x, cont_id)
            w, p, vlen = t.words_of[tid], t.pos[tid], t.info[tid] & 0xFFFF
            done = es[x] == _ED
            for x in w[p + 1:p + 2 * vlen:2]:
                if es[x] != _ED:
                    self._emit(x, cont_id)
                    if es[x] != _ED:
                        done = False
            if done:  # every type it names is emitted: nothing left to do for any container
                es[tid] = _ED

    def _blacklisted(self, tid: int) -> bool:
        return self.t.name(tid) == "__builtin_va_list"

    def _struct_fwd(self, tid: int) -> str:
        kw = "struct" if self.t.kind[tid] == K_STRUCT else "union"
        nm = self.type_name(tid)
        return f"{kw} {nm}" if self.t.name_off[tid] else kw

    def _fwd_def(self, tid: int) -> str:
        kw = "union" if self.t.info[tid] >> 31 else "struct"
        return f"{kw} {self.type_name(tid)}"

    def _enum_fwd(self, tid: int) -> str:
        return f"enum {self.type_name(tid)}"

    def _typedef_def(self, tid: int, lvl: int) -> None:
        name = self.ident_name(tid)
        target = self.t.word[tid]
        if target == 0 and name == "__gnuc_va_list":
            self.out.append("typedef __builtin_va_list __gnuc_va_list")
            return
        self.out.append("typedef ")
        self._decl(target, name, lvl)

    def _enum_def(self, tid: int, lvl: int) -> None:
        t = self.t
        out = self.out
        vlen = t.info[tid] & 0xFFFF
        named = t.name_off[tid]
        out.append(f"enum {self.type_name(tid)}" if named else "enum")
        if not vlen:
            return
        out.append(" {")
        w, p = t.words_of[tid], t.pos[tid]
        signed = t.info[tid] >> 31
        pfx = _PFX[:lvl + 1]
        string = self.t.string
        idents = self.ident_names
        if t.kind[tid] == K_ENUM:
            it = iter(w[p:p + 2 * vlen])
            for name_off, v in zip(it, it, strict=False):
                name = string(name_off)
                c = idents.get(name, 0) + 1
                idents[name] = c
                if signed and v >= 1 << 31:
                    v -= 1 << 32
                if c > 1:
                    out.append(f"\n{pfx}{name}___{c} = {v},")
                else:
                    out.append(f"\n{pfx}{name} = {v},")
        else:
            suffix = "LL" if signed else "ULL"
            for j in range(p, p + 3 * vlen, 3):
                name = string(w[j])
                c = idents.get(name, 0) + 1
                idents[name] = c
                v = w[j + 1] | (w[j + 2] << 32)
                if signed and v >= 1 << 63:
                    v -= 1 << 64
                if c > 1:
                    out.append(f"\n{pfx}{name}___{c} = {v}{suffix},")
                else:
                    out.append(f"\n{pfx}{name} = {v}{suffix},")
        out.append(f"\n{_PFX[:lvl]}}}")
        if self.enum_modes:
            size = t.word[tid]
            if size == 1:
                out.append(" __attribute__((mode(byte)))")
            elif size == 8 and self.ptr_sz == 8:
                if t.kind[tid] == K_ENUM or not any(w[j + 2] for j in range(p, p + 3 * vlen, 3)):
                    out.append(" __attribute__((mode(word)))")

    def _struct_def(self, tid: int, lvl: int) -> None:
        t = self.t
        out = self.out
        k = t.kind[tid]
        is_struct = k == K_STRUCT
        w, p, vlen = t.words_of[tid], t.pos[tid], t.info[tid] & 0xFFFF
        kflag = t.info[tid] >> 31
        align = self.align[tid]
        if align < 0:
            align = self.align_of(tid)
        packed = is_struct and self.packed[tid]
        kw = "struct" if is_struct else "union"
        if t.name_off[tid]:
            name = self.cached[tid]
            out.append(f"{kw} {name if name is not None else self.type_name(tid)} {{")
        else:
            out.append(f"{kw} {{")
        off = 0
        prev_bitfield = False
        aligns = self.align
        sizes = self.sizes
        parts_of = self.parts
        names = self.member_names
        pfx = _PFX[:lvl + 1]
        string = self.t.string
        it = iter(w[p:p + 3 * vlen])
        if not kflag:  # no bitfields (most structs): the same loop, with less to decide
            bits = self.bits
            for name_off, mtype, m_off in zip(it, it, it, strict=False):
                if off < m_off:
                    self._bit_padding(off, m_off, 1 if packed else aligns[mtype], False, lvl + 1, tid)
                name = names.get(name_off)
                if name is None:
                    name = names[name_off] = string(name_off)
                parts = parts_of[mtype]
                if parts is None:
                    parts = self._cache_parts(mtype)
                if parts and name:
                    out.append(f"\n{pfx}{parts[0]}{name}{parts[1]};")
                else:
                    out.append("\n" + pfx)
                    self._decl(mtype, name, lvl + 1)
                    out.append(";")
                b = bits[mtype]
                if b is None:
                    b = bits[mtype] = max(self.resolve_size(mtype), 0) * 8
                off = m_off + b
        for name_off, mtype, raw in zip(it, it, it, strict=False):  # (empty if done above)
            if kflag:
                m_sz = raw >> 24
                m_off = raw & 0xFFFFFF
            else:
                m_sz = 0
                m_off = raw
            if off < m_off:
                m_align = 1 if packed else aligns[mtype]  # align_of(tid) computed them all
                self._bit_padding(off, m_off, m_align, prev_bitfield and m_sz != 0, lvl + 1, tid)
            name = names.get(name_off)
            if name is None:
                name = names[name_off] = string(name_off)
            parts = parts_of[mtype]
            if parts is None:
                parts = self._cache_parts(mtype)
            if parts and name:
                before, after = parts
                if m_sz:
                    out.append(f"\n{pfx}{before}{name}{after}: {m_sz};")
                else:
                    out.append(f"\n{pfx}{before}{name}{after};")
            else:
                out.append("\n" + pfx)
                self._decl(mtype, name, lvl + 1)
                out.append(f": {m_sz};" if m_sz else ";")
            if m_sz:
                off = m_off + m_sz
                prev_bitfield = True
            else:
                sz = sizes[mtype]
                if sz is None:
                    sz = self.resolve_size(mtype)
                off = m_off + (sz if sz > 0 else 0) * 8
                prev_bitfield = False
        if is_struct:
            if off < t.word[tid] * 8:
                self._bit_padding(off, t.word[tid] * 8, align, False, lvl + 1, tid)
        if vlen or t.word[tid]:
            out.append(f"\n{_PFX[:lvl]}}}")
        else:
            out.append("}")
        if packed:
            out.append(" __attribute__((packed))")

    def _bit_padding(self, cur: int, nxt: int, next_align: int, in_bitfield: bool, lvl: int,
                     tid: int = 0) -> None:
        if cur >= nxt:
            return
        pads = (("long", self.ptr_sz * 8), ("int", 32), ("short", 16), ("char", 8))
        pad_type, pad_bits, new_off = "char", 8, cur
        for pad in pads:
            pad_type, pad_bits = pad
            new_off = -(-cur // pad_bits) * pad_bits
            if new_off <= nxt:
                break
        out = self.out
        pfx = _pfx(lvl)
        if cur < new_off <= nxt:
            if (in_bitfield
                    or (new_off == nxt and (-(-cur // (next_align * 8)) * next_align * 8 if next_align
                                            else cur) != new_off)
                    or (new_off != nxt and nxt - new_off <= new_off - cur)):
                out.append(f"\n{pfx}{pad_type}: {new_off - cur if in_bitfield else 0};")
            cur = new_off
        full = (nxt - cur) // pad_bits
        if full:
            self.budget -= full
            if self.budget < 0:
                raise BtfError(f"{self.btf.name}: padding of {full} lines is too large to print",
                               type_id=tid or None)
            out.append(f"\n{pfx}{pad_type}: {pad_bits};" * full)
            cur += full * pad_bits
        while cur != nxt:
            bits = min(nxt - cur, pad_bits)
            for pt, pb in reversed(pads):
                if pb < bits:
                    continue
                out.append(f"\n{pfx}{pt}: {bits};")
                cur += bits
                break

    # ------------------------------------------------------------------ driver
    def dump_type(self, tid: int) -> None:
        """Append the declarations needed for type ``tid`` (and not yet printed) to the output."""
        if not 0 < tid < self.t.n:
            raise BtfError(f"{self.btf.name}: type id {tid} out of range", type_id=tid)
        self.queue: list[int] = []
        try:
            self._order(tid, False)
            for q in self.queue:
                self._emit(q, 0)
        except RecursionError:
            raise BtfError(f"{self.btf.name}: type graph nested too deeply to print",
                           type_id=tid) from None

    def dump(self, type_ids: Iterable[int] | None = None) -> str:
        """C declarations for ``type_ids`` (default: every type, a split BTF's base types
        included, as bpftool prints them) without the header wrapper."""
        return "".join(self.chunks(type_ids))

    def chunks(self, type_ids: Iterable[int] | None = None) -> list[str]:
        """`dump`'s text in pieces of some kilobytes (joined as they fill, so the printer never
        holds more than a few thousand small strings: memory, and so time, stays low)."""
        t = self.t
        n = t.n
        if type_ids is None:  # split BTF: base types too, as bpftool prints them
            # Kinds that print nothing by themselves (int, float, func, var, datasec, decl
            # tag: _order only marks them) are skipped here in C, not one by one.
            ids: Iterable[int] = t.ids(_ORDERED)
        else:
            ids = list(type_ids)
            for tid in ids:
                if not 0 < tid < n:
                    raise BtfError(f"{self.btf.name}: type id {tid} out of range", type_id=tid)
        st = self.order_state
        order, emit = self._order, self._emit
        kind, word, words_of, pos, info = t.kind, t.word, t.words_of, t.pos, t.info
        queue: list[int] = []
        self.queue = queue
        out = self.out
        pieces: list[str] = []
        tid = 0
        try:
            for tid in ids:
                if st[tid] == _ED:
                    continue
                # _order inlined for the two most common kinds (a third of all types)
                k = kind[tid]
                if k == K_FUNC_PROTO:
                    self.budget -= 1
                    r = word[tid]
                    if st[r] != _ED:
                        order(r, False)
                    p = pos[tid]
                    for r in words_of[tid][p + 1:p + 2 * (info[tid] & 0xFFFF):2]:
                        if st[r] != _ED:
                            order(r, False)
                elif k == K_PTR:
                    r = word[tid]
                    if st[r] != _ED:
                        order(r, True)
                    st[tid] = _ED
                else:
                    order(tid, False)
                if queue:
                    for q in queue:
                        emit(q, 0)
                    queue.clear()
                    if len(out) > 4096:
                        pieces.append("".join(out))
                        out.clear()
        except RecursionError:
            raise BtfError(f"{self.btf.name}: type graph nested too deeply (or a modifier loop) to print",
                           type_id=tid) from None
        pieces.append("".join(out))
        out.clear()
        return pieces

    def dump_all(self) -> str:
        return self.dump()


def to_c(btf: Btf, type_ids: Iterable[int] | None = None, *, header: bool = True,
         enum_modes: bool = False) -> str:
    """The C text of ``btf`` as ``bpftool btf dump file F format c`` prints it.

    With ``header`` (default) the text is wrapped in the ``__VMLINUX_H__`` guard and the
    ``preserve_access_index`` pragma, ready to use as ``vmlinux.h``. ``enum_modes`` adds the
    size attributes newer libbpf prints on 1- and 8-byte enums, so that every struct laid
    out after such an enum has the kernel's layout (bpftool 7.1's output does not).

    >>> print(to_c(vmlinux(), [vmlinux().find("u32", "typedef")], header=False))  # doctest: +SKIP
    typedef unsigned int __u32;
    <BLANKLINE>
    typedef __u32 u32;
    <BLANKLINE>
    """
    parts = _chunks(btf, type_ids, enum_modes)
    return "".join([HEADER, *parts, FOOTER] if header else parts)


def write_c(btf: Btf, file: TextIO, *, header: bool = True, enum_modes: bool = False) -> None:
    """Write `to_c`'s text of every type to a text ``file`` (``pybpf btf dump`` does), in
    pieces rather than as one string.

    >>> import io; f = io.StringIO(); write_c(vmlinux(), f)    # doctest: +SKIP
    >>> f.getvalue() == to_c(vmlinux())                         # doctest: +SKIP
    True
    """
    parts = _chunks(btf, None, enum_modes)
    if header:
        file.write(HEADER)
    file.writelines(parts)
    if header:
        file.write(FOOTER)


def _chunks(btf: Btf, type_ids: Iterable[int] | None, enum_modes: bool) -> list[str]:
    # The printer allocates ~1M small objects and no reference cycles: pausing the cyclic
    # collector (restored afterwards) saves its repeated full scans, ~10% of the time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return CPrinter(btf, enum_modes=enum_modes).chunks(type_ids)
    finally:
        if was_enabled:
            gc.enable()
