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

import sys
from array import array
from collections.abc import Callable, Iterable
from itertools import compress, repeat
from operator import add, itemgetter

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

#: The kind number of an info word's top byte (kind in bits 0..4, kflag in bit 7).
_KIND_OF_TOP_BYTE = bytes(b & 0x1F for b in range(256))

_SINGLE = (K_VOLATILE, K_CONST, K_RESTRICT, K_PTR, K_TYPEDEF, K_FUNC, K_VAR, K_DECL_TAG, K_TYPE_TAG)
_MULTI = (K_STRUCT, K_UNION, K_FUNC_PROTO, K_ARRAY, K_DATASEC)
_PLAIN = (K_INT, K_ENUM, K_ENUM64, K_FWD, K_FLOAT)
#: kind -> 1 masks: kinds whose one reference is the size/type word, kinds with a list of
#: references, and numbers that are no kind at all


def kind_mask(kinds: Iterable[int], *, invert: bool = False) -> bytes:
    """A 256-byte table mapping each kind in ``kinds`` to 1 (others to 0; the reverse with
    ``invert``): with ``bytes.translate`` over `FlatTable.kinds`, a per-type selector in C."""
    chosen = set(kinds)
    return bytes(int((k in chosen) != invert) for k in range(256))


_SINGLE_REF = kind_mask(_SINGLE)
_MULTI_REF = kind_mask(_MULTI)
_NO_KIND = kind_mask(_SINGLE + _MULTI + _PLAIN, invert=True)


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
        kinds = bytearray(1)
        high = 3 if sys.byteorder == "little" else 0  # the byte of a u32 word holding its top bits
        for b in chain:
            w = b.words
            if not isinstance(w, array):  # a small blob's memoryview (pybpf.btf.parse)
                w = array("I")
                w.frombytes(b.words.cast("B"))
            offs = b.offsets if isinstance(b.offsets, list) else b.offsets.tolist()
            if not offs:
                continue
            # One gather per field: a record's name, info and size/type words are at its
            # offset +0, +1, +2 (read through shifted views of the word array, not copies).
            get = itemgetter(*offs) if len(offs) > 1 else (lambda seq, _p=offs[0]: (seq[_p],))
            view = memoryview(w)
            name_off += get(w)
            info += get(view[1:])
            word += get(view[2:])
            data_pos += map(add, offs, repeat(3))
            kinds += bytes(get(view[1:].cast("B")[high::4]))  # top byte of info: kflag | kind
            view.release()
            words_of += [w] * len(offs)
        #: kind numbers as bytes (for C-speed masks) and as a list (for fast indexing)
        self.kinds = kinds.translate(_KIND_OF_TOP_BYTE)
        self.kind = list(self.kinds)
        self.name_off = name_off
        self.word = word
        self.info = info
        self.pos = data_pos
        self.words_of = words_of
        self.n = len(info)
        self._names: list[str | None] = [None] * self.n
        self._all_ids: list[int] | None = None
        self._names[0] = ""
        text = btf._text
        self.string: Callable[[int], str]
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

    def referenced(self, candidates: set[int]) -> set[int]:
        """The ``candidates`` that libbpf's btf_dump counts as referenced by another type.

        Raises `BtfError` naming the first type whose record refers beyond the last id."""
        kind, word, info, pos, words_of, kinds = (self.kind, self.word, self.info, self.pos,
                                                  self.words_of, self.kinds)
        n = self.n
        single = list(compress(word, kinds.translate(_SINGLE_REF)))  # ints that already exist
        refs = array("I")  # the others, copied slice by slice (no int objects made)
        protos_ret_max = 0
        multi = self.ids(_MULTI_REF)
        for tid in multi:
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
            else:  # DATASEC
                refs += w[p:p + 3 * (info[tid] & 0xFFFF):3]
        if max(max(single, default=0), max(refs, default=0), protos_ret_max) >= n:
            bad = self._first_bad_ref()
            raise BtfError(f"{self.btf.name}: refers to a type beyond the last id {n - 1}", type_id=bad)
        bad = kinds.translate(_NO_KIND).find(1, 1)
        if bad > 0:
            raise BtfError(f"{self.btf.name}: invalid kind {kind[bad]}", type_id=bad)
        if not candidates:
            return set()
        return candidates.intersection(single).union(candidates.intersection(refs))

    def ids(self, mask: bytes) -> list[int]:
        """The type ids whose kind ``mask`` (a 256-byte table) maps to 1, in order.

        >>> from pybpf.btf.writer import BtfBuilder
        >>> b = BtfBuilder(); _ = b.add_int("int", 4, 1)
        >>> FlatTable(Btf(b.encode())).ids(bytes([0, 1] + [0] * 254))   # the INT kind
        [1]
        """
        if self._all_ids is None:  # made once: compress over range() would make every int anew
            self._all_ids = list(range(self.n))
        return list(compress(self._all_ids, self.kinds.translate(mask)))

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
