"""The raw and JSON listings of ``bpftool btf dump file F`` (one entry per type id).

`raw_lines` yields the text bpftool prints by default (``[1] INT 'int' size=4 ...``), and
`json_types` the dicts of ``bpftool btf dump file F -j``; both cover every kind, so they
double as a field-by-field oracle check of the parser.

>>> from pybpf.btf.writer import BtfBuilder
>>> from pybpf.btf import Btf
>>> b = BtfBuilder(); _ = b.add_int("int", 4, 1)
>>> list(raw_lines(Btf(b.encode())))
["[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED"]
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import types as T
from .fields import IntEncoding
from .format import Kind
from .parse import Btf

_LINKAGE = {0: "static", 1: "global", 2: "extern"}


def _enc(e: int) -> str:
    if e == 0:
        return "(none)"
    if e == IntEncoding.SIGNED:
        return "SIGNED"
    if e == IntEncoding.CHAR:
        return "CHAR"
    if e == IntEncoding.BOOL:
        return "BOOL"
    return "(invalid)"


def _name(n: str) -> str:
    return n or "(anon)"


_ENC = {0: "(none)", 1: "SIGNED", 2: "CHAR", 4: "BOOL"}
_SIMPLE_REF = {int(k): k.name for k in (Kind.PTR, Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT,
                                        Kind.TYPE_TAG)}


def raw_lines(btf: Btf, start: int | None = None) -> Iterator[str]:
    """bpftool's default text for every own type of ``btf`` (one string per line).

    The common kinds are formatted straight from the type words (no records), the rest
    through `type_lines`.
    """
    w = btf.words
    string = btf.string
    first = btf.start_id if start is None else start
    offs = btf.offsets
    K = Kind
    for tid in range(first, btf.nr_types):
        p = offs[tid - btf.start_id]
        name_off, info, word = w[p], w[p + 1], w[p + 2]
        k = (info >> 24) & 0x1F
        if k in _SIMPLE_REF:
            yield f"[{tid}] {_SIMPLE_REF[k]} '{string(name_off) or '(anon)'}' type_id={word}"
        elif k == K.STRUCT or k == K.UNION:
            vlen = info & 0xFFFF
            yield (f"[{tid}] {'STRUCT' if k == K.STRUCT else 'UNION'} '{string(name_off) or '(anon)'}' "
                   f"size={word} vlen={vlen}")
            kflag = info >> 31
            for j in range(p + 3, p + 3 + 3 * vlen, 3):
                off = w[j + 2]
                if kflag and off >> 24:
                    yield (f"\t'{string(w[j]) or '(anon)'}' type_id={w[j + 1]} bits_offset={off & 0xFFFFFF} "
                           f"bitfield_size={off >> 24}")
                else:
                    yield f"\t'{string(w[j]) or '(anon)'}' type_id={w[j + 1]} bits_offset={off & 0xFFFFFF if kflag else off}"
        elif k == K.FUNC_PROTO:
            vlen = info & 0xFFFF
            yield f"[{tid}] FUNC_PROTO '{string(name_off) or '(anon)'}' ret_type_id={word} vlen={vlen}"
            for j in range(p + 3, p + 3 + 2 * vlen, 2):
                yield f"\t'{string(w[j]) or '(anon)'}' type_id={w[j + 1]}"
        elif k == K.FUNC and (info & 0xFFFF) in _LINKAGE:
            yield f"[{tid}] FUNC '{string(name_off) or '(anon)'}' type_id={word} linkage={_LINKAGE[info & 0xFFFF]}"
        else:
            yield from type_lines(btf, tid)


def type_lines(btf: Btf, tid: int) -> list[str]:
    """bpftool's text for one type."""
    t = btf[tid]
    k = t.kind
    head = f"[{tid}] {k.name} '{_name(t.name)}'"
    if isinstance(t, T.Int):
        return [f"{head} size={t.size} bits_offset={t.bit_offset} nr_bits={t.bits} encoding={_enc(t.encoding)}"]
    if isinstance(t, T.Array):
        return [f"{head} type_id={t.type} index_type_id={t.index_type} nr_elems={t.nelems}"]
    if isinstance(t, T.Composite):
        lines = [f"{head} size={t.size} vlen={len(t.members)}"]
        for m in t.members:
            s = f"\t'{_name(m.name)}' type_id={m.type} bits_offset={m.bit_offset}"
            if m.bitfield_size:
                s += f" bitfield_size={m.bitfield_size}"
            lines.append(s)
        return lines
    if isinstance(t, T.Enum):
        enc = "SIGNED" if t.signed else "UNSIGNED"
        lines = [f"{head} encoding={enc} size={t.size} vlen={len(t.values)}"]
        suffix = ("LL" if t.signed else "ULL") if k == Kind.ENUM64 else ""
        lines += [f"\t'{_name(v.name)}' val={v.value}{suffix}" for v in t.values]
        return lines
    if isinstance(t, T.Fwd):
        return [f"{head} fwd_kind={'union' if t.union else 'struct'}"]
    if isinstance(t, T.Func):
        return [f"{head} type_id={t.type} linkage={_LINKAGE.get(t.linkage, '(unknown)')}"]
    if isinstance(t, T.FuncProto):
        lines = [f"{head} ret_type_id={t.type} vlen={len(t.params)}"]
        lines += [f"\t'{_name(p.name)}' type_id={p.type}" for p in t.params]
        return lines
    if isinstance(t, T.Var):
        return [f"{head} type_id={t.type}, linkage={_LINKAGE.get(t.linkage, '(unknown)')}"]
    if isinstance(t, T.Datasec):
        lines = [f"{head} size={t.size} vlen={len(t.vars)}"]
        lines += [f"\ttype_id={v.type} offset={v.offset} size={v.size} "
                  f"({btf.kind(v.type).name} '{_name(btf.type_name(v.type))}')" for v in t.vars]
        return lines
    if isinstance(t, T.Float):
        return [f"{head} size={t.size}"]
    if isinstance(t, T.DeclTag):
        return [f"{head} type_id={t.type} component_idx={t.component_idx}"]
    if isinstance(t, T.Ref):
        return [f"{head} type_id={t.type}"]
    return [f"{head}"]


def json_type(btf: Btf, tid: int) -> dict[str, Any]:
    """bpftool's ``-j`` object for one type."""
    t = btf[tid]
    k = t.kind
    d: dict[str, Any] = {"id": tid, "kind": k.name, "name": _name(t.name)}
    if isinstance(t, T.Int):
        d.update(size=t.size, bits_offset=t.bit_offset, nr_bits=t.bits, encoding=_enc(t.encoding))
    elif isinstance(t, T.Array):
        d.update(type_id=t.type, index_type_id=t.index_type, nr_elems=t.nelems)
    elif isinstance(t, T.Composite):
        ms = []
        for m in t.members:
            md: dict[str, Any] = {"name": _name(m.name), "type_id": m.type, "bits_offset": m.bit_offset}
            if m.bitfield_size:
                md["bitfield_size"] = m.bitfield_size
            ms.append(md)
        d.update(size=t.size, vlen=len(t.members), members=ms)
    elif isinstance(t, T.Enum):
        d.update(encoding="SIGNED" if t.signed else "UNSIGNED", size=t.size, vlen=len(t.values),
                 values=[{"name": _name(v.name), "val": v.value} for v in t.values])
    elif isinstance(t, T.Fwd):
        d["fwd_kind"] = "union" if t.union else "struct"
    elif isinstance(t, T.Func):
        d.update(type_id=t.type, linkage=_LINKAGE.get(t.linkage, "(unknown)"))
    elif isinstance(t, T.FuncProto):
        d.update(ret_type_id=t.type, vlen=len(t.params),
                 params=[{"name": _name(p.name), "type_id": p.type} for p in t.params])
    elif isinstance(t, T.Var):
        d.update(type_id=t.type, linkage=_LINKAGE.get(t.linkage, "(unknown)"))
    elif isinstance(t, T.Datasec):
        d.update(size=t.size, vlen=len(t.vars),
                 vars=[{"type_id": v.type, "offset": v.offset, "size": v.size} for v in t.vars])
    elif isinstance(t, T.Float):
        d["size"] = t.size
    elif isinstance(t, T.DeclTag):
        d.update(type_id=t.type, component_idx=t.component_idx)
    elif isinstance(t, T.Ref):
        d["type_id"] = t.type
    return d


def json_types(btf: Btf) -> dict[str, Any]:
    """``{"types": [...]}`` as ``bpftool btf dump file F -j`` prints it."""
    return {"types": [json_type(btf, tid) for tid in range(btf.start_id, btf.nr_types)]}
