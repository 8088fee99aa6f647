"""`Btf`: a lazily decoded view of one BTF blob (vmlinux, a module, or an object's .BTF).

Opening a blob reads the header (trusting its own ``hdr_len``), checks the sections, and
makes one pass over the type section to record where each type starts. Nothing else is
decoded until asked: `Btf.find` looks a name up, ``btf[type_id]`` decodes one record.

Split BTF (kernel modules) is a `Btf` with a ``base``: its type ids continue after the
base's last id and its string offsets continue after the base's string section.

>>> from pybpf.btf import vmlinux, Kind
>>> btf = vmlinux()                                  # doctest: +SKIP
>>> tid = btf.find("task_struct", Kind.STRUCT)       # doctest: +SKIP
>>> btf[tid].size > 0                                # doctest: +SKIP
True
"""
from __future__ import annotations

import sys

from ..errors import BtfError
from .format import (
    LAYOUT_BY_NUMBER,
    MAGIC,
    MAX_TYPE,
    MIN_HDR_LEN,
    MODIFIER_KINDS,
    NR_KINDS,
    Kind,
)

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from array import array
    from collections.abc import Iterator
    from pathlib import Path
    from typing import Any, Literal

    from . import types as T
    from .fields import Linkage


_TYPES = None


def _types():  # noqa: ANN202 - the pybpf.btf.types module
    """The record classes, imported on first decode (index and lookups never need them)."""
    global _TYPES
    types = _TYPES
    if types is None:
        from . import types

        _TYPES = types
    return types


_FIELDS = None


def _fields():  # noqa: ANN202 - the pybpf.btf.fields module
    """IntEncoding and Linkage, imported on first decode like the record classes."""
    global _FIELDS
    fields = _FIELDS
    if fields is None:
        from . import fields

        _FIELDS = fields
    return fields


_KINDS = tuple(Kind(k) for k in range(NR_KINDS))
#: kinds whose third word is the type they refer to (`Btf.ref`)
_REF_KINDS = (Kind.PTR, Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.FUNC,
              Kind.VAR, Kind.TYPE_TAG)
_MAX_RESOLVE_DEPTH = 64


# Record length in words by the top byte of its info word (kflag, kind): the 3 common words
# plus the kind's fixed part (``_HEAD_WORDS``), and words per vlen item; None: no such kind.
# (The top byte's low 5 bits are the kind: one row of 32 repeated for the 3 bits above.)
_HEAD_WORDS: tuple[int | None, ...] = (
    tuple([3 + fixed // 4 for fixed, _item in LAYOUT_BY_NUMBER]) + (None,) * (32 - NR_KINDS)) * 8
_ITEM_WORDS: tuple[int | None, ...] = (
    tuple([item // 4 for _fixed, item in LAYOUT_BY_NUMBER]) + (None,) * (32 - NR_KINDS)) * 8


#: A blob whose type section is at least this long keeps its words and record offsets in
#: ``array("I")`` (vmlinux: 4 bytes an offset, not a list's int objects); a smaller one (an
#: object's .BTF) in a memoryview and a list: importing `array` imports `collections` (its
#: registration as a ``MutableSequence``), ~5% of the instructions of benchmarks/startup.py's
#: object counter.
_ARRAY_FROM = 1 << 16


def _words(blob: memoryview, swap: bool) -> memoryview | array[int]:
    """The type section as u32 words in this machine's order: a small one a view of the blob
    itself (``memoryview.cast``), a large one or one of the other byte order an ``array``."""
    if not swap and len(blob) < _ARRAY_FROM:
        return blob.cast("I")
    from array import array

    a = array("I")
    a.frombytes(blob)
    if swap:
        a.byteswap()
    return a



def _as_kind(kind: Kind | int | str | None) -> Kind | int | None:
    """A kind given by name (``"struct"``) as its `Kind`; numbers and None pass through."""
    if not isinstance(kind, str):
        return kind
    try:
        return Kind[kind.upper()]
    except KeyError:
        raise BtfError(f"unknown BTF kind {kind!r}") from None

class Btf:
    """One BTF blob, indexed on open and decoded on demand.

    ``data`` is the whole blob (header, types, strings), e.g. the contents of
    ``/sys/kernel/btf/vmlinux`` or of an object's ``.BTF`` section. ``base`` is the BTF
    this one is split on top of (vmlinux for module BTF).

    >>> Btf(b"")
    Traceback (most recent call last):
    ...
    pybpf.errors.BtfError: BTF offset 0x0: <btf>: 0 bytes is too short for a BTF header
    """

    byteorder: Literal["little", "big"]
    nr_types: int

    def __init__(self, data: bytes, *, base: Btf | None = None, name: str = "<btf>") -> None:
        self.name = name
        self.base = base
        self.data = bytes(data)
        self._parse_header()
        self._index_types()
        self._by_name_off: dict[int, list[int]] | None = None
        self._records: dict[int, T.AnyType] = {}
        #: (name, kind) -> the ids `find_all` found: a lookup scans the whole string section
        #: (~2-4 ms in vmlinux), and a blob does not change once parsed
        self._found: dict[tuple[str, int | None], tuple[int, ...]] = {}

    # ------------------------------------------------------------------ header & index
    def _parse_header(self) -> None:
        data = self.data
        if len(data) < MIN_HDR_LEN:
            raise BtfError(f"{self.name}: {len(data)} bytes is too short for a BTF header", offset=0)
        magic = int.from_bytes(data[0:2], "little")
        if magic == MAGIC:
            self.byteorder = "little"
        elif magic == 0x9FEB:
            self.byteorder = "big"
        else:
            raise BtfError(f"{self.name}: bad magic {magic:#06x} (want 0xeb9f)", offset=0)
        bo = self.byteorder
        self.version = data[2]
        self.flags = data[3]
        hdr_len = int.from_bytes(data[4:8], bo)
        if self.version != 1:
            raise BtfError(f"{self.name}: unsupported BTF version {self.version}", offset=2)
        if hdr_len < MIN_HDR_LEN or hdr_len > len(data):
            raise BtfError(f"{self.name}: header length {hdr_len} outside 24..{len(data)}", offset=4)
        if any(data[MIN_HDR_LEN:hdr_len]):
            raise BtfError(f"{self.name}: unknown non-zero header bytes after offset 24", offset=MIN_HDR_LEN)
        self.hdr_len = hdr_len
        type_off, type_len, str_off, str_len = (int.from_bytes(data[i:i + 4], bo) for i in range(8, 24, 4))
        body = len(data) - hdr_len
        if type_off % 4 or type_len % 4:
            raise BtfError(f"{self.name}: type section {type_off}+{type_len} is not 4-byte aligned",
                           offset=hdr_len + type_off)
        if type_off + type_len > body:
            raise BtfError(f"{self.name}: type section {type_off}+{type_len} beyond the {body} data bytes",
                           offset=8)
        if str_off + str_len > body:
            raise BtfError(f"{self.name}: string section {str_off}+{str_len} beyond the {body} data bytes",
                           offset=16)
        if str_off < type_off + type_len and type_off < str_off + str_len:
            raise BtfError(f"{self.name}: type and string sections overlap", offset=16)
        self.type_off, self.type_len, self.str_off, self.str_len = type_off, type_len, str_off, str_len
        strs = data[hdr_len + str_off:hdr_len + str_off + str_len]
        if self.base is None and str_len and strs[0] != 0:
            raise BtfError(f"{self.name}: string section does not start with an empty string",
                           offset=hdr_len + str_off)
        if str_len and strs[-1] != 0:
            raise BtfError(f"{self.name}: string section is not NUL-terminated",
                           offset=hdr_len + str_off + str_len - 1)
        self.strings = strs
        #: The string section as text when it is pure ASCII (fast slicing), else None.
        self._text: str | None = strs.decode("ascii") if strs.isascii() else None
        self._str_base = self.base.str_end if self.base is not None else 0

    def _index_types(self) -> None:
        start = self.hdr_len + self.type_off
        #: The type section as little-endian-normalised u32 words.
        w: Any = _words(memoryview(self.data)[start:start + self.type_len],
                        self.byteorder != sys.byteorder)
        self.words = w
        self.start_id = self.base.nr_types if self.base is not None else 1
        if self.type_len >= _ARRAY_FROM:
            from array import array

            offs: list[int] | array[int] = array("I")
        else:
            offs = []
        append = offs.append
        head, item = _HEAD_WORDS, _ITEM_WORDS
        n = len(w)
        i = 0
        try:
            while i < n:
                append(i)
                info = w[i + 1]
                top = info >> 24  # kflag and kind
                i += head[top] + item[top] * (info & 0xFFFF)
        except (IndexError, TypeError):  # TypeError: None, an unknown kind
            tid = self.start_id + len(offs) - 1
            pos = start + 4 * offs[-1]
            if i + 1 >= n:
                raise BtfError(f"{self.name}: truncated type record", offset=pos, type_id=tid) from None
            raise BtfError(f"{self.name}: unknown kind {(w[i + 1] >> 24) & 0x1F}", offset=pos,
                           type_id=tid) from None
        if i > n:
            raise BtfError(f"{self.name}: type record runs past the type section",
                           offset=start + 4 * offs[-1], type_id=self.start_id + len(offs) - 1)
        #: Word index of each own type's record (type id ``start_id + k`` at ``offs[k]``).
        self.offsets = offs
        self.nr_types = self.start_id + len(offs)
        if self.nr_types - 1 > MAX_TYPE:
            raise BtfError(f"{self.name}: {self.nr_types - 1} types exceeds the BTF limit {MAX_TYPE}")

    @property
    def str_end(self) -> int:
        """One past the last string offset of this BTF (split BTF continues from here)."""
        return self._str_base + self.str_len

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_file(cls, path: str | Path, *, base: Btf | None = None) -> Btf:
        """Read a raw BTF file (e.g. ``/sys/kernel/btf/vmlinux``).

        >>> Btf.from_file("/sys/kernel/btf/vmlinux").nr_types > 1000   # doctest: +SKIP
        True
        """
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise BtfError(f"cannot read {path}: {e.strerror}") from e
        return cls(data, base=base, name=str(path))

    # ------------------------------------------------------------------ raw access
    def _pos(self, type_id: int) -> int:
        k = type_id - self.start_id
        if k < 0 or type_id >= self.nr_types:
            raise BtfError(f"{self.name}: type id {type_id} out of range 1..{self.nr_types - 1}",
                           type_id=type_id)
        return self.offsets[k]

    def owner(self, type_id: int) -> Btf:
        """The `Btf` (this one or a base) holding ``type_id``."""
        btf: Btf | None = self
        while btf is not None:
            if type_id >= btf.start_id:
                return btf
            btf = btf.base
        raise BtfError(f"{self.name}: type id {type_id} out of range 0..{self.nr_types - 1}",
                       type_id=type_id)

    def kind(self, type_id: int) -> Kind:
        """The `Kind` of a type (``Kind.UNKN`` for void, id 0)."""
        if type_id == 0:
            return Kind.UNKN
        if type_id < self.start_id:
            return self.owner(type_id).kind(type_id)
        return _KINDS[(self.words[self._pos(type_id) + 1] >> 24) & 0x1F]

    def info(self, type_id: int) -> tuple[int, int, int, int]:
        """Raw ``(name_off, kind, vlen, kflag)`` of a type."""
        if type_id < self.start_id:
            return self.owner(type_id).info(type_id)
        p = self._pos(type_id)
        info = self.words[p + 1]
        return self.words[p], (info >> 24) & 0x1F, info & 0xFFFF, info >> 31

    def string(self, offset: int) -> str:
        """The NUL-terminated string at ``offset`` of the (split-aware) string section."""
        if offset < self._str_base:
            assert self.base is not None
            return self.base.string(offset)
        local = offset - self._str_base
        if local >= self.str_len:
            raise BtfError(f"{self.name}: string offset {offset} beyond the string section "
                           f"({self.str_end} bytes)", offset=self.hdr_len + self.str_off + local)
        text = self._text
        if text is not None:
            return text[local:text.index("\0", local)]
        end = self.strings.index(b"\0", local)
        return self.strings[local:end].decode("utf-8", "surrogateescape")

    def type_name(self, type_id: int) -> str:
        """The name of a type ("" for anonymous types and void)."""
        if type_id == 0:
            return ""
        if type_id < self.start_id:
            return self.owner(type_id).type_name(type_id)
        return self.string(self.words[self._pos(type_id)])

    def __len__(self) -> int:
        """Number of type ids, void and base types included (ids are ``0..len-1``)."""
        return self.nr_types

    def __iter__(self) -> Iterator[T.AnyType]:
        """Every own type, in id order (decoded as iterated)."""
        for tid in range(self.start_id, self.nr_types):
            yield self[tid]

    def __repr__(self) -> str:
        return f"<Btf {self.name}: types {self.start_id}..{self.nr_types - 1}>"

    # ------------------------------------------------------------------ lookup
    def _name_index(self) -> dict[int, list[int]]:
        idx = self._by_name_off
        if idx is None:
            idx = {}
            w = self.words
            tid = self.start_id
            for p in self.offsets:
                no = w[p]
                if no:
                    lst = idx.get(no)
                    if lst is None:
                        idx[no] = [tid]
                    else:
                        lst.append(tid)
                tid += 1
            self._by_name_off = idx
        return idx

    def _string_offsets(self, name: str) -> Iterator[int]:
        """Every offset at which ``name`` is a whole NUL-terminated string."""
        needle = name.encode("utf-8", "surrogateescape") + b"\0"
        strs = self.strings
        p = strs.find(needle)
        while p >= 0:
            yield self._str_base + p
            p = strs.find(needle, p + 1)

    def find_all(self, name: str, kind: Kind | int | str | None = None) -> list[int]:
        """Every type id named ``name`` (of ``kind`` if given), base types first, ascending.

        >>> vmlinux().find_all("task_struct", Kind.STRUCT)   # doctest: +SKIP
        [131]
        """
        kind = _as_kind(kind)
        key = (name, None if kind is None else int(kind))
        hit = self._found.get(key)
        if hit is None:
            hit = self._found[key] = tuple(self._find_all(name, kind))
        return list(hit)

    def _find_all(self, name: str, kind: Kind | int | None) -> list[int]:
        found: list[int] = []
        if self.base is not None:
            found += self.base.find_all(name, kind)
        if not name:
            return found
        idx = self._name_index()
        own: list[int] = []
        for off in self._string_offsets(name):
            own += idx.get(off, ())
        if kind is not None:
            k = int(kind)
            w, offs, s = self.words, self.offsets, self.start_id
            own = [t for t in own if (w[offs[t - s] + 1] >> 24) & 0x1F == k]
        found += sorted(own)
        return found

    def find(self, name: str, kind: Kind | int | str | None = None) -> int:
        """The lowest type id named ``name`` (of ``kind`` if given); `BtfError` if none.

        ``kind`` is a `Kind`, its number, or its name (``"func"``, ``"struct"``...).

        >>> vmlinux().find("do_getpid", "func")     # doctest: +SKIP
        51234
        """
        kind = _as_kind(kind)
        ids = self.find_all(name, kind)
        if not ids:
            what = f"{Kind(kind).name.lower()} " if kind is not None else "type "
            raise BtfError(f"{self.name}: no {what}named {name!r}")
        return ids[0]

    def get(self, name: str, kind: Kind | int | str | None = None) -> T.AnyType:
        """The record of `find` (name, kind)."""
        return self[self.find(name, kind)]

    # ------------------------------------------------------------------ decoding
    def __getitem__(self, type_id: int) -> T.AnyType:
        T = _types()  # noqa: N806
        if type_id == 0:
            return T.Void(0, Kind.UNKN, "void")
        if type_id < self.start_id:
            return self.owner(type_id)[type_id]
        rec = self._records.get(type_id)
        if rec is None:
            rec = self._records[type_id] = self._decode(type_id)
        return rec

    def _decode(self, tid: int) -> T.AnyType:
        T = _types()  # noqa: N806
        p = self._pos(tid)
        w = self.words
        name_off, info, word = w[p], w[p + 1], w[p + 2]
        name = self.string(name_off)
        kind = _KINDS[(info >> 24) & 0x1F]
        vlen = info & 0xFFFF
        kflag = bool(info >> 31)
        q = p + 3
        K = Kind
        if kind == K.INT:
            extra = w[q]
            return T.Int(tid, kind, name, word, _fields().IntEncoding((extra >> 24) & 0x0F),
                         (extra >> 16) & 0xFF, extra & 0xFF)
        if kind == K.PTR:
            return T.Ptr(tid, kind, name, word)
        if kind == K.TYPEDEF:
            return T.Typedef(tid, kind, name, word)
        if kind == K.VOLATILE:
            return T.Volatile(tid, kind, name, word)
        if kind == K.CONST:
            return T.Const(tid, kind, name, word)
        if kind == K.RESTRICT:
            return T.Restrict(tid, kind, name, word)
        if kind == K.TYPE_TAG:
            return T.TypeTag(tid, kind, name, word, kflag)
        if kind == K.ARRAY:
            return T.Array(tid, kind, name, w[q], w[q + 1], w[q + 2])
        if kind in (K.STRUCT, K.UNION):
            members = []
            for j in range(q, q + 3 * vlen, 3):
                off = w[j + 2]
                if kflag:
                    members.append(T.Member(self.string(w[j]), w[j + 1], off & 0xFFFFFF, off >> 24))
                else:
                    members.append(T.Member(self.string(w[j]), w[j + 1], off, 0))
            cls = T.Struct if kind == K.STRUCT else T.Union
            return cls(tid, kind, name, word, tuple(members), kflag)
        if kind == K.ENUM:
            vals = []
            for j in range(q, q + 2 * vlen, 2):
                v = w[j + 1]
                if kflag and v >= 1 << 31:
                    v -= 1 << 32
                vals.append(T.Enumerator(self.string(w[j]), v))
            return T.Enum(tid, kind, name, word, tuple(vals), kflag)
        if kind == K.ENUM64:
            vals = []
            for j in range(q, q + 3 * vlen, 3):
                v = w[j + 1] | (w[j + 2] << 32)
                if kflag and v >= 1 << 63:
                    v -= 1 << 64
                vals.append(T.Enumerator(self.string(w[j]), v))
            return T.Enum(tid, kind, name, word, tuple(vals), kflag)
        if kind == K.FWD:
            return T.Fwd(tid, kind, name, kflag)
        if kind == K.FUNC:
            return T.Func(tid, kind, name, word, _linkage(vlen, tid))
        if kind == K.FUNC_PROTO:
            params = tuple(T.Param(self.string(w[j]), w[j + 1]) for j in range(q, q + 2 * vlen, 2))
            return T.FuncProto(tid, kind, name, word, params)
        if kind == K.VAR:
            return T.Var(tid, kind, name, word, _linkage(w[q], tid))
        if kind == K.DATASEC:
            vs = tuple(T.VarSecinfo(w[j], w[j + 1], w[j + 2]) for j in range(q, q + 3 * vlen, 3))
            return T.Datasec(tid, kind, name, word, vs)
        if kind == K.FLOAT:
            return T.Float(tid, kind, name, word)
        if kind == K.DECL_TAG:
            idx = w[q]
            return T.DeclTag(tid, kind, name, word, idx - (1 << 32) if idx >= 1 << 31 else idx, kflag)
        raise BtfError(f"{self.name}: kind {kind.name} is not a valid type", type_id=tid)

    # ------------------------------------------------------------------ raw reads
    # (what a loader needs of a few records, read from the words: an object's start-up then
    # builds none of the record classes of pybpf.btf.types)
    def _own(self, type_id: int, kinds: tuple[int, ...], what: str) -> tuple[Btf, int]:
        """The `Btf` holding ``type_id`` and the word index of its record, checked to be
        one of ``kinds``."""
        btf = self if type_id >= self.start_id else self.owner(type_id)
        p = btf._pos(type_id)
        if (btf.words[p + 1] >> 24) & 0x1F not in kinds:
            raise BtfError(f"{self.name}: type {type_id} is a {self.kind(type_id).name}, "
                           f"not {what}", type_id=type_id)
        return btf, p

    def ref(self, type_id: int) -> int:
        """The type a PTR, TYPEDEF, modifier, FUNC or VAR refers to (a FUNC's is its
        FUNC_PROTO), read without decoding the record.

        >>> btf = vmlinux()                                          # doctest: +SKIP
        >>> btf.kind(btf.ref(btf.find("do_getpid", "func")))         # doctest: +SKIP
        <Kind.FUNC_PROTO: 13>
        """
        btf, p = self._own(type_id, _REF_KINDS, "a reference")
        return btf.words[p + 2]

    def array(self, type_id: int) -> tuple[int, int, int]:
        """``(element type, index type, nelems)`` of an ARRAY, read without decoding it."""
        btf, p = self._own(type_id, (Kind.ARRAY,), "an ARRAY")
        w = btf.words
        return w[p + 3], w[p + 4], w[p + 5]

    def members(self, type_id: int) -> list[tuple[str, int, int, int]]:
        """``(name, type, bit offset, bitfield size)`` of each member of a STRUCT or UNION,
        read without decoding it (the fields of `pybpf.btf.types.Member`)."""
        btf, p = self._own(type_id, (Kind.STRUCT, Kind.UNION), "a STRUCT or UNION")
        w = btf.words
        info = w[p + 1]
        string = btf.string
        q = p + 3
        if info >> 31:  # kind_flag: offsets carry bitfield sizes
            return [(string(w[j]), w[j + 1], w[j + 2] & 0xFFFFFF, w[j + 2] >> 24)
                    for j in range(q, q + 3 * (info & 0xFFFF), 3)]
        return [(string(w[j]), w[j + 1], w[j + 2], 0) for j in range(q, q + 3 * (info & 0xFFFF), 3)]

    def datasec_vars(self, type_id: int) -> list[tuple[int, int, int]]:
        """``(type, offset, size)`` of each variable of a DATASEC, read without decoding it
        (the fields of `pybpf.btf.types.VarSecinfo`)."""
        btf, p = self._own(type_id, (Kind.DATASEC,), "a DATASEC")
        w = btf.words
        q = p + 3
        return [(w[j], w[j + 1], w[j + 2]) for j in range(q, q + 3 * (w[p + 1] & 0xFFFF), 3)]

    # ------------------------------------------------------------------ type algebra
    def _ref(self, type_id: int) -> int:
        """The type a PTR/TYPEDEF/modifier/FUNC/VAR refers to."""
        if type_id < self.start_id:
            return self.owner(type_id)._ref(type_id)
        return self.words[self._pos(type_id) + 2]

    def resolve(self, type_id: int, *, typedefs: bool = True) -> int:
        """Skip modifiers (const, volatile, restrict, type_tag) and, by default, typedefs.

        >>> btf = vmlinux()                                    # doctest: +SKIP
        >>> btf.kind(btf.resolve(btf.find("u32", "typedef")))  # doctest: +SKIP
        <Kind.INT: 1>
        """
        for _ in range(_MAX_RESOLVE_DEPTH):
            k = self.kind(type_id)
            if k in MODIFIER_KINDS or (typedefs and k == Kind.TYPEDEF):
                type_id = self._ref(type_id)
            else:
                return type_id
        raise BtfError(f"{self.name}: type chain too deep or cyclic", type_id=type_id)

    def size_of(self, type_id: int) -> int:
        """Size in bytes of a type (through typedefs and modifiers); BtfError for sizeless kinds.

        >>> vmlinux().size_of(vmlinux().find("u64", "typedef"))   # doctest: +SKIP
        8
        """
        orig = type_id
        nelems = 1
        for _ in range(_MAX_RESOLVE_DEPTH):
            type_id = self.resolve(type_id)
            k = self.kind(type_id)
            if k in (Kind.INT, Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.ENUM64, Kind.DATASEC, Kind.FLOAT):
                return nelems * self.owner(type_id).words[self.owner(type_id)._pos(type_id) + 2]
            if k == Kind.PTR:
                return nelems * 8
            if k == Kind.ARRAY:
                type_id, _index, n = self.array(type_id)
                nelems *= n
                continue
            raise BtfError(f"{self.name}: {k.name} type has no size", type_id=orig)
        raise BtfError(f"{self.name}: array nesting too deep or cyclic", type_id=orig)

    def member(self, type_id: int, path: str) -> tuple[int, int, int]:
        """``(type id, bit offset, bitfield size)`` of a dotted member path, through anonymous members.

        >>> btf = vmlinux()                                                    # doctest: +SKIP
        >>> btf.member(btf.find("task_struct", "struct"), "pid")               # doctest: +SKIP
        (123, 19072, 0)
        """
        bit = 0
        bits = 0
        for part in path.split("."):
            found = self._find_member(self.resolve(type_id), part)
            if found is None:
                raise BtfError(f"{self.name}: {self.type_name(self.resolve(type_id)) or '(anon)'} "
                               f"has no member {part!r}", type_id=type_id)
            type_id, off, bits = found
            bit += off
        return type_id, bit, bits

    def _find_member(self, type_id: int, name: str, depth: int = 0) -> tuple[int, int, int] | None:
        T = _types()  # noqa: N806
        if depth > _MAX_RESOLVE_DEPTH:
            raise BtfError(f"{self.name}: anonymous members nested too deeply or cyclic", type_id=type_id)
        rec = self[type_id]
        if not isinstance(rec, T.Composite):
            return None
        for m in rec.members:
            if m.name == name:
                return m.type, m.bit_offset, m.bitfield_size
        for m in rec.members:
            if not m.name:
                inner = self._find_member(self.resolve(m.type), name, depth + 1)
                if inner is not None:
                    return inner[0], m.bit_offset + inner[1], inner[2]
        return None


def _linkage(value: int, tid: int) -> Linkage:
    try:
        return _fields().Linkage(value)
    except ValueError:
        raise BtfError(f"unknown linkage {value}", type_id=tid) from None


VMLINUX_PATH = "/sys/kernel/btf/vmlinux"
_vmlinux: Btf | None = None


def vmlinux(path: str = VMLINUX_PATH) -> Btf:
    """The running kernel's BTF, read and indexed once per process (thread-safe enough: idempotent).

    >>> vmlinux().find("task_struct", "struct") > 0   # doctest: +SKIP
    True
    """
    global _vmlinux
    if path != VMLINUX_PATH:
        return Btf.from_file(path)
    if _vmlinux is None:
        _vmlinux = Btf.from_file(path)
    return _vmlinux
