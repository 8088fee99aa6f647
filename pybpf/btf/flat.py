"""A flat, per-type-id view of a (possibly split) `Btf` for whole-BTF passes.

Plain Python lists indexed by type id (kind, name offset, size/type word, info word,
position of the kind-specific data) are much faster to walk than decoded records when a
pass touches every one of ~130k types, as the C printer does.

>>> from pybpf.btf.writer import BtfBuilder
>>> from pybpf.btf import Btf
>>> b = BtfBuilder(); i = b.add_int("int", 4, 1); _ = b.add_ptr(i)
>>> t = FlatTable(Btf(b.encode()))
>>> t.kind, t.word[2], t.name(1)
([0, 1, 2], 1, 'int')
"""
from __future__ import annotations

from operator import itemgetter

from ..errors import BtfError
from .format import Kind
from .parse import Btf

# Kind numbers as plain ints (faster to compare than enum members in hot loops).
K_INT, K_PTR, K_ARRAY, K_STRUCT, K_UNION = int(Kind.INT), int(Kind.PTR), int(Kind.ARRAY), \
    int(Kind.STRUCT), int(Kind.UNION)
K_ENUM, K_FWD, K_TYPEDEF, K_VOLATILE, K_CONST = int(Kind.ENUM), int(Kind.FWD), int(Kind.TYPEDEF), \
    int(Kind.VOLATILE), int(Kind.CONST)
K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC = int(Kind.RESTRICT), int(Kind.FUNC), \
    int(Kind.FUNC_PROTO), int(Kind.VAR), int(Kind.DATASEC)
K_FLOAT, K_DECL_TAG, K_TYPE_TAG, K_ENUM64 = int(Kind.FLOAT), int(Kind.DECL_TAG), int(Kind.TYPE_TAG), \
    int(Kind.ENUM64)


class FlatTable:
    """Flat per-id view of a (possibly split) BTF: kind, name, size/type word, vlen, kflag, data."""

    def __init__(self, btf: Btf) -> None:
        chain: list[Btf] = []
        b: Btf | None = btf
        while b is not None:
            chain.append(b)
            b = b.base
        chain.reverse()
        self.btf = btf
        name_off: list[int] = [0]
        word: list[int] = [0]
        info: list[int] = [0]
        data_pos: list[int] = [0]
        words_of: list = [None]
        for b in chain:
            w = b.words
            offs = b.offsets
            if not offs:
                continue
            if len(offs) == 1:
                p = offs[0]
                name_off.append(w[p])
                info.append(w[p + 1])
                word.append(w[p + 2])
                data_pos.append(p + 3)
            else:
                name_off += itemgetter(*offs)(w)
                info += itemgetter(*[p + 1 for p in offs])(w)
                word += itemgetter(*[p + 2 for p in offs])(w)
                data_pos += [p + 3 for p in offs]
            words_of += [w] * len(offs)
        self.kind = [(i >> 24) & 0x1F for i in info]
        self.kind[0] = 0
        self.name_off = name_off
        self.word = word
        self.info = info
        self.pos = data_pos
        self.words_of = words_of
        self.n = len(info)
        self._names: list[str | None] = [None] * self.n
        self._names[0] = ""
        text = btf._text
        if btf.base is None and text is not None:
            def string(off: int) -> str:
                return text[off:text.index("\0", off)] if off < len(text) else btf.string(off)
            self.string = string
        else:
            self.string = btf.string

    def name(self, tid: int) -> str:
        nm = self._names[tid]
        if nm is None:
            nm = self._names[tid] = self.string(self.name_off[tid])
        return nm

    def all_refs(self) -> tuple[list[int], int]:
        """Every type id that libbpf's btf_dump counts as referenced (with repeats), and the
        first id whose record refers beyond the last id (0 if none)."""
        kind, word, info, pos, words_of = self.kind, self.word, self.info, self.pos, self.words_of
        n = self.n
        single = {K_VOLATILE, K_CONST, K_RESTRICT, K_PTR, K_TYPEDEF, K_FUNC, K_VAR, K_DECL_TAG, K_TYPE_TAG}
        plain = {K_INT, K_ENUM, K_ENUM64, K_FWD, K_FLOAT}
        refs: list[int] = [word[t] for t, k in enumerate(kind) if k in single]
        protos_ret_max = 0
        for tid in [t for t, k in enumerate(kind) if t and k not in single and k not in plain]:
            k = kind[tid]
            w, p = words_of[tid], pos[tid]
            if k == K_STRUCT or k == K_UNION:
                refs += w[p + 1:p + 3 * (info[tid] & 0xFFFF):3]
            elif k == K_FUNC_PROTO:
                # libbpf marks a prototype's parameters as referenced, not its return type
                if word[tid] > protos_ret_max:
                    protos_ret_max = word[tid]
                refs += w[p + 1:p + 2 * (info[tid] & 0xFFFF):2]
            elif k == K_ARRAY:
                refs += w[p:p + 2]
            elif k == K_DATASEC:
                refs += w[p:p + 3 * (info[tid] & 0xFFFF):3]
            else:
                raise BtfError(f"{self.btf.name}: invalid kind {k}", type_id=tid)
        if (refs and max(refs) >= n) or protos_ret_max >= n:
            return refs, self._first_bad_ref()
        return refs, 0

    def _first_bad_ref(self) -> int:
        """The first type id whose record refers beyond the last id (the slow, exact scan)."""
        kind, word, info, pos, words_of = self.kind, self.word, self.info, self.pos, self.words_of
        n = self.n
        for tid in range(1, n):
            k = kind[tid]
            w, p, vlen = words_of[tid], pos[tid], info[tid] & 0xFFFF
            if k in (K_INT, K_ENUM, K_ENUM64, K_FWD, K_FLOAT):
                refs: list[int] = []
            elif k in (K_STRUCT, K_UNION):
                refs = list(w[p + 1:p + 3 * vlen:3])
            elif k == K_FUNC_PROTO:
                refs = [word[tid], *w[p + 1:p + 2 * vlen:2]]
            elif k == K_ARRAY:
                refs = list(w[p:p + 2])
            elif k == K_DATASEC:
                refs = list(w[p:p + 3 * vlen:3])
            else:
                refs = [word[tid]]
            if any(r >= n for r in refs):
                return tid
        return 0
