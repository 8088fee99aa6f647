"""pybpf.btf parsing without oracles: header rules, errors naming offsets/ids, split BTF,
lookups, and writer round trips (hypothesis)."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybpf.btf import Btf, IntEncoding, Kind, Linkage
from pybpf.btf import types as T
from pybpf.btf.modules import module, modules
from pybpf.btf.writer import BtfBuilder, Features, copy_btf, sanitize
from pybpf.errors import BtfError


def small() -> tuple[bytes, dict[str, int]]:
    b = BtfBuilder()
    ids = {}
    ids["int"] = b.add_int("int", 4, IntEncoding.SIGNED)
    ids["u8"] = b.add_int("unsigned char", 1)
    ids["inner"] = b.add_struct("", 8, [("x", ids["int"], 0), ("y", ids["int"], 32)])
    ids["s"] = b.add_struct("s", 16, [("a", ids["int"], 0, 3), ("b", ids["u8"], 3, 5), ("", ids["inner"], 32),
                                      ("c", ids["u8"], 96)])
    ids["td"] = b.add_typedef("s_t", ids["s"])
    ids["c"] = b.add_const(ids["td"])
    ids["arr"] = b.add_array(ids["c"], ids["int"], 3)
    ids["proto"] = b.add_func_proto(ids["int"], [("p", b.add_ptr(ids["s"]))])
    ids["func"] = b.add_func("f", ids["proto"], Linkage.GLOBAL)
    ids["e"] = b.add_enum("e", [("A", -1), ("B", 7)])
    ids["s2"] = b.add_struct("s", 4, [("z", ids["int"], 0)])
    return b.encode(), ids


def test_lookup_resolve_size_member():
    blob, ids = small()
    btf = Btf(blob)
    assert btf.find("s") == ids["s"]
    assert btf.find_all("s", Kind.STRUCT) == [ids["s"], ids["s2"]]
    assert btf.find("f", "func") == ids["func"]
    assert btf.find("s_t", Kind.TYPEDEF) == ids["td"]
    with pytest.raises(BtfError, match="no union named 's'"):
        btf.find("s", "union")
    assert btf.resolve(ids["c"]) == ids["s"]
    assert btf.resolve(ids["c"], typedefs=False) == ids["td"]
    assert btf.size_of(ids["arr"]) == 48
    assert btf.member(ids["s"], "y") == (ids["int"], 64, 0)       # through the anonymous member
    assert btf.member(ids["s"], "b") == (ids["u8"], 3, 5)
    with pytest.raises(BtfError, match="no member 'nope'"):
        btf.member(ids["s"], "nope")
    s = btf[ids["s"]]
    assert isinstance(s, T.Struct) and s.kflag and s.member("c").byte_offset == 12
    e = btf[ids["e"]]
    assert isinstance(e, T.Enum) and e.signed and [v.value for v in e.values] == [-1, 7]
    f = btf[ids["func"]]
    assert isinstance(f, T.Func) and f.linkage == Linkage.GLOBAL


def test_header_length_is_read_not_assumed():
    blob, ids = small()
    b = BtfBuilder()
    b.add_int("int", 4, IntEncoding.SIGNED)
    long_hdr = b.encode(header_len=32)
    btf = Btf(long_hdr)
    assert btf.hdr_len == 32 and btf.type_name(1) == "int"
    bad = bytearray(long_hdr)
    bad[28] = 1
    with pytest.raises(BtfError) as ei:
        Btf(bytes(bad))
    assert ei.value.offset == 24


@pytest.mark.parametrize("mutate,match,field", [
    (lambda b: b"\0\0" + b[2:], "bad magic", "offset"),
    (lambda b: b[:10], "too short", "offset"),
    (lambda b: b[:4] + struct.pack("<I", 4) + b[8:], "header length", "offset"),
    (lambda b: b[:12] + struct.pack("<I", 6) + b[16:], "aligned", "offset"),
    (lambda b: b[:12] + struct.pack("<I", 1 << 20) + b[16:], "beyond", "offset"),
])
def test_header_errors(mutate, match, field):
    blob, _ = small()
    with pytest.raises(BtfError, match=match) as ei:
        Btf(mutate(blob))
    assert getattr(ei.value, field) is not None


def test_record_errors_name_the_type():
    blob, ids = small()
    b = bytearray(blob)
    # the third type's info word: make its kind 25 (unknown)
    btf = Btf(blob)
    pos = btf.hdr_len + btf.type_off + 4 * btf.offsets[2] + 4
    b[pos + 3] = 25
    with pytest.raises(BtfError, match="unknown kind 25") as ei:
        Btf(bytes(b))
    assert ei.value.type_id == 3
    # a struct whose vlen runs past the section
    b = bytearray(blob)
    pos = btf.hdr_len + btf.type_off + 4 * btf.offsets[ids["s2"] - 1] + 4
    b[pos:pos + 2] = b"\xff\x00"
    with pytest.raises(BtfError) as ei:
        Btf(bytes(b))
    assert ei.value.type_id == ids["s2"]


def test_split_btf_and_modules(tmp_path):
    base_blob, ids = small()
    base = Btf(base_blob, name="base")
    mb = BtfBuilder(base=base)
    p = mb.add_ptr(ids["s"])
    m = mb.add_struct("mod_only", 8, [("ptr", p, 0)])
    td = mb.add_typedef("s_t", ids["s"])  # same name as a base type: base found first
    mod_blob = mb.encode()
    mod = Btf(mod_blob, base=base, name="mod")
    assert mod.start_id == base.nr_types and m == base.nr_types + 1
    assert mod.find("mod_only") == m
    assert mod.find("s_t") == ids["td"] and mod.find_all("s_t") == [ids["td"], td]
    assert mod.type_name(ids["func"]) == "f" and mod[m].members[0].name == "ptr"
    assert mod.size_of(m) == 8 and mod.kind(ids["s"]) == Kind.STRUCT
    (tmp_path / "vmlinux").write_bytes(base_blob)
    (tmp_path / "good").write_bytes(mod_blob)
    (tmp_path / "broken").write_bytes(b"\x9f\xeb garbage")
    (tmp_path / "dir_not_file").mkdir()
    ms = modules(base=base, root=tmp_path)
    assert set(ms.btfs) == {"good"}
    assert set(ms.skipped) == {"broken", "dir_not_file"}
    assert ms.find("mod_only") == ("good", m)
    assert ms.find("s") == ("vmlinux", ids["s"])
    assert module("good", base=base, root=tmp_path).find("mod_only") == m
    with pytest.raises(BtfError):
        module("../etc", base=base, root=tmp_path)


# --------------------------------------------------------------------------- round trips
names = st.sampled_from(["", "a", "b", "val", "x_y"])


@st.composite
def records(draw) -> list[T.AnyType]:
    """A list of records whose type references point at existing ids."""
    out: list[T.AnyType] = []
    for tid in range(1, draw(st.integers(1, 25)) + 1):
        ref = st.integers(0, tid - 1)
        k = draw(st.sampled_from(list(Kind)[1:]))
        name = draw(names)
        if k == Kind.INT:
            size = draw(st.sampled_from([1, 2, 4, 8, 16]))
            r = T.Int(tid, k, name or "int", size, IntEncoding(draw(st.sampled_from([0, 1, 2, 4]))),
                      0, size * 8)
        elif k in (Kind.PTR, Kind.CONST, Kind.VOLATILE, Kind.RESTRICT):
            r = {Kind.PTR: T.Ptr, Kind.CONST: T.Const, Kind.VOLATILE: T.Volatile,
                 Kind.RESTRICT: T.Restrict}[k](tid, k, "", draw(ref))
        elif k == Kind.TYPEDEF:
            r = T.Typedef(tid, k, name or "td", draw(ref))
        elif k == Kind.TYPE_TAG:
            r = T.TypeTag(tid, k, name or "tag", draw(ref), draw(st.booleans()))
        elif k == Kind.ARRAY:
            r = T.Array(tid, k, "", draw(ref), draw(ref), draw(st.integers(0, 1 << 32 - 1)))
        elif k in (Kind.STRUCT, Kind.UNION):
            kflag = draw(st.booleans())
            ms = tuple(T.Member(draw(names), draw(ref), draw(st.integers(0, (1 << 24) - 1)),
                                draw(st.integers(0, 255)) if kflag else 0)
                       for _ in range(draw(st.integers(0, 4))))
            cls = T.Struct if k == Kind.STRUCT else T.Union
            r = cls(tid, k, name, draw(st.integers(0, 1 << 20)), ms, kflag)
        elif k in (Kind.ENUM, Kind.ENUM64):
            signed = draw(st.booleans())
            bits = 32 if k == Kind.ENUM else 64
            lo, hi = (-(1 << bits - 1), (1 << bits - 1) - 1) if signed else (0, (1 << bits) - 1)
            vs = tuple(T.Enumerator(draw(names) or "E", draw(st.integers(lo, hi)))
                       for _ in range(draw(st.integers(0, 3))))
            r = T.Enum(tid, k, name, 4 if k == Kind.ENUM else 8, vs, signed)
        elif k == Kind.FWD:
            r = T.Fwd(tid, k, name or "fwd", draw(st.booleans()))
        elif k == Kind.FUNC:
            r = T.Func(tid, k, name or "fn", draw(ref), draw(st.sampled_from(list(Linkage))))
        elif k == Kind.FUNC_PROTO:
            r = T.FuncProto(tid, k, "", draw(ref), tuple(T.Param(draw(names), draw(ref))
                                                          for _ in range(draw(st.integers(0, 3)))))
        elif k == Kind.VAR:
            r = T.Var(tid, k, name or "v", draw(ref), draw(st.sampled_from(list(Linkage))))
        elif k == Kind.DATASEC:
            r = T.Datasec(tid, k, name or ".data", draw(st.integers(0, 64)),
                          tuple(T.VarSecinfo(draw(ref), draw(st.integers(0, 64)), draw(st.integers(0, 8)))
                                for _ in range(draw(st.integers(0, 3)))))
        elif k == Kind.FLOAT:
            r = T.Float(tid, k, name or "double", draw(st.sampled_from([2, 4, 8, 12, 16])))
        else:
            r = T.DeclTag(tid, k, name or "tag", draw(ref), draw(st.integers(-1, 3)), draw(st.booleans()))
        out.append(r)
    return out


@settings(max_examples=60, deadline=None)
@given(records())
def test_writer_round_trip(recs):
    b = BtfBuilder()
    b.extend(recs)
    btf = Btf(b.encode())
    assert [btf[i] for i in range(1, btf.nr_types)] == recs
    assert Btf(copy_btf(btf))[len(recs)] == recs[-1]


@settings(max_examples=40, deadline=None)
@given(records())
def test_sanitize_keeps_ids_and_removes_kinds(recs):
    b = BtfBuilder()
    b.extend(recs)
    btf = Btf(b.encode())
    old = Btf(sanitize(btf, Features.none()))
    assert old.nr_types == btf.nr_types
    modern = {Kind.VAR, Kind.DATASEC, Kind.FUNC, Kind.FUNC_PROTO, Kind.FLOAT, Kind.DECL_TAG,
              Kind.TYPE_TAG, Kind.ENUM64}
    for tid in range(1, old.nr_types):
        assert old.kind(tid) not in modern
        if btf.kind(tid) not in modern:
            assert old.kind(tid) == btf.kind(tid)
    same = Btf(sanitize(btf, Features()))
    assert [same[i] for i in range(1, same.nr_types)] == recs


def test_vmlinux_is_cached_and_lazy():
    import os

    from pybpf.btf import VMLINUX_PATH, vmlinux
    if not os.path.exists(VMLINUX_PATH):
        pytest.skip("no /sys/kernel/btf/vmlinux")
    assert vmlinux() is vmlinux()
    fresh = Btf.from_file(VMLINUX_PATH)
    assert fresh.nr_types > 10_000 and not fresh._records  # the index pass decodes nothing
    tid = fresh.find("task_struct", "struct")
    assert fresh.kind(tid) == Kind.STRUCT and fresh.size_of(tid) > 1000
    assert fresh[tid].name == "task_struct" and list(fresh._records) == [tid]


@pytest.mark.parametrize("module", ["format", "types", "parse", "flat", "writer", "ext", "dump", "cprint", "cdecl",
                                    "objfile", "modules"])
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"pybpf.btf.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_negative_and_missing_ids_raise():
    blob, _ = small()
    btf = Btf(blob)
    for bad in (-1, btf.nr_types, 1 << 30):
        with pytest.raises(BtfError) as ei:
            btf[bad]
        assert ei.value.type_id == bad
