"""Object BTF: clang-19 output parsed by pybpf against bpftool (.BTF listing and C) and
llvm-objdump-19/llvm-readelf-19 (.BTF.ext func info, line info, every CO-RE relocation kind)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pybpf.btf import Kind
from pybpf.btf.cprint import to_c
from pybpf.btf.dump import raw_lines
from pybpf.btf.ext import BtfExt, CoreReloKind
from pybpf.btf.objfile import from_object
from pybpf.btf.writer import BtfBuilder, copy_btf
from pybpf.errors import BtfError

pytestmark = pytest.mark.clang

SOURCE = r"""
#define SEC(n) __attribute__((section(n), used))
typedef unsigned long long u64;
typedef unsigned int u32;
enum color { RED, GREEN = 5, BLUE = -3 };
enum wide { WIDE_BIG = 0x1234567890ULL };
struct inner { int a; char tag[4][2]; };
struct flags { unsigned int lo:3, mid:7; int sgn:5; u64 rest; };
struct pk { char c; int i; long l; } __attribute__((packed));
struct pk gpk;
struct thing {
	u32 id;
	struct flags f;
	union { int as_int; float as_float; };
	struct inner in;
	enum color c;
	const volatile int *cvp;
	int (*cb)(struct thing *, u64);
	struct thing *next;
} __attribute__((preserve_access_index));
struct thing___v2 { u32 id; long extra; } __attribute__((preserve_access_index));
struct thing gthing;
enum wide gwide;
__attribute__((noinline)) static int sub_static(struct thing *t) { return t->in.a + t->in.tag[1][1]; }
__attribute__((noinline)) int sub_global(struct thing *t) { return t->id * 3; }
SEC("xdp")
int prog(void *ctx)
{
	struct thing *t = &gthing;
	struct thing___v2 *t2 = (void *)t;
	int r = sub_static(t) + sub_global(t) + t2->extra;
	r += __builtin_preserve_field_info(t->f.mid, 0);
	r += __builtin_preserve_field_info(t->f.mid, 1);
	r += __builtin_preserve_field_info(t->next, 2);
	r += __builtin_preserve_field_info(t->f.sgn, 3);
	r += __builtin_preserve_field_info(t->f.sgn, 4);
	r += __builtin_preserve_field_info(t->f.sgn, 5);
	r += __builtin_btf_type_id(*t, 0);
	r += __builtin_btf_type_id(*t, 1);
	r += __builtin_preserve_type_info(*t, 0);
	r += __builtin_preserve_type_info(*t, 1);
	r += __builtin_preserve_type_info(*t, 2);
	r += __builtin_preserve_enum_value(*(typeof(enum color) *)GREEN, 0);
	r += __builtin_preserve_enum_value(*(typeof(enum color) *)BLUE, 1);
	return r + gwide + gpk.i;
}
char LICENSE[] SEC("license") = "GPL";
"""


@pytest.fixture(scope="module")
def obj(tmp_path_factory) -> Path:
    if shutil.which("clang-19") is None:
        pytest.skip("clang-19 missing")
    d = tmp_path_factory.mktemp("btfobj")
    src = d / "obj.bpf.c"
    src.write_text(SOURCE)
    out = d / "obj.bpf.o"
    subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", "-c", str(src), "-o", str(out)], check=True)
    return out


def _bpftool(*args: str) -> str:
    if shutil.which("bpftool") is None:
        pytest.skip("bpftool missing")
    return subprocess.run(["bpftool", "btf", "dump", "file", *args], check=True, capture_output=True,
                          text=True).stdout


def test_object_btf_listing_and_c_match_bpftool(obj):
    btf, _ = from_object(obj)
    assert list(raw_lines(btf)) == _bpftool(str(obj)).splitlines()
    assert to_c(btf) == _bpftool(str(obj), "format", "c")
    kinds = {btf.kind(i) for i in range(1, btf.nr_types)}
    assert {Kind.STRUCT, Kind.UNION, Kind.ENUM, Kind.ENUM64, Kind.FUNC, Kind.FUNC_PROTO, Kind.VAR,
            Kind.DATASEC, Kind.TYPEDEF, Kind.CONST, Kind.VOLATILE, Kind.ARRAY, Kind.FLOAT} <= kinds
    flags = btf.get("flags", "struct")
    assert [(m.name, m.bit_offset, m.bitfield_size) for m in flags.members][:3] == [
        ("lo", 0, 3), ("mid", 3, 7), ("sgn", 10, 5)]


def test_func_info_matches_symbols(obj):
    btf, ext = from_object(obj)
    assert ext is not None
    syms = subprocess.run(["llvm-readelf-19", "-s", "-S", str(obj)], check=True, capture_output=True,
                          text=True).stdout
    sections = dict(re.findall(r"\[\s*(\d+)\]\s+(\S+)\s+PROGBITS", syms))
    expected = {(sections[ndx], int(value, 16), name)
                for value, ndx, name in re.findall(r"\d+: ([0-9a-f]+)\s+\d+ FUNC\s+\w+\s+\w+\s+(\d+) (\w+)", syms)}
    ours = {(sec, fi.insn_off, btf.type_name(fi.type_id)) for sec, fis in ext.func_info.items() for fi in fis}
    assert ours == expected and len(ours) == 3
    for fis in ext.func_info.values():
        for fi in fis:
            assert btf.kind(fi.type_id) == Kind.FUNC and btf.kind(btf[fi.type_id].type) == Kind.FUNC_PROTO


def test_line_info_matches_source(obj):
    _, ext = from_object(obj)
    assert ext is not None
    src_lines = SOURCE.splitlines()
    n = 0
    for recs in ext.line_info.values():
        offs = [r.insn_off for r in recs]
        assert offs == sorted(offs)
        for r in recs:
            assert r.file_name.endswith("obj.bpf.c")
            assert r.source == src_lines[r.line - 1], (r.line, r.source)
            assert 0 <= r.column <= len(r.source) + 1  # 0: the function's own line
            n += 1
    assert n > 10


_CORE = re.compile(r"^\s+([0-9a-f]+):\s+CO-RE <(\w+)> \[(\d+)\] (.*?)(?: \(([\d:]+)\))?$")


def test_core_relocations_match_llvm_objdump(obj):
    btf, ext = from_object(obj)
    assert ext is not None
    text = subprocess.run(["llvm-objdump-19", "-d", "-r", str(obj)], check=True, capture_output=True,
                          text=True).stdout
    section = None
    expected = set()
    for line in text.splitlines():
        m = re.match(r"Disassembly of section (.*):", line)
        if m:
            section = m.group(1)
            continue
        m = _CORE.match(line)
        if m:
            off, label, tid, _what, access = m.groups()
            expected.add((section, int(off, 16), label, int(tid), access))
    ours = set()
    for sec, relos in ext.core_relos.items():
        for r in relos:
            field_kind = r.kind <= CoreReloKind.FIELD_RSHIFT_U64
            ours.add((sec, r.insn_off, r.kind.label, r.type_id, r.access if field_kind else None))
    assert ours == expected
    assert {r[2] for r in ours} == {k.label for k in CoreReloKind}  # every kind is exercised
    # the access path resolves to the member llvm-objdump names
    for relos in ext.core_relos.values():
        for r in relos:
            if r.kind == CoreReloKind.FIELD_BYTE_OFFSET and btf.type_name(r.type_id) == "thing___v2":
                assert btf[r.type_id].members[r.spec[1]].name == "extra"


def test_ext_round_trip_and_errors(obj):
    btf, ext = from_object(obj)
    assert ext is not None
    blob = copy_btf(btf)
    from pybpf.btf import Btf
    again = Btf(blob)
    assert list(raw_lines(again)) == list(raw_lines(btf))
    data = bytearray(ext.data)
    data[0] = 0
    with pytest.raises(BtfError, match="bad magic"):
        BtfExt(bytes(data), btf)
    with pytest.raises(BtfError, match="too short"):
        BtfExt(ext.data[:6], btf)
    # an instruction index blob for BPF_PROG_LOAD
    fi = ext.func_info_blob("xdp")
    assert len(fi) == 8 and int.from_bytes(fi[:4], "little") == 0


def test_cli_dump_object(obj, capsys):
    from pybpf.cli import main

    assert main(["btf", "dump", "--format", "raw", str(obj)]) == 0
    assert capsys.readouterr().out.splitlines() == _bpftool(str(obj)).splitlines()
    assert main(["btf", "dump", "--json", str(obj)]) == 0
    import json
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(_bpftool(str(obj), "-j"))
    assert main(["btf", "find", "thing", "--kind", "struct", "--file", str(obj), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "struct"
    assert main(["btf", "dump", str(obj) + ".missing"]) == 1


def test_builder_ext_blob_parses():
    b = BtfBuilder()
    i = b.add_int("int", 4, 1)
    f = b.add_func("main", b.add_func_proto(i, []))
    from pybpf.btf.ext import encode_ext
    blob = encode_ext(b.add_string, func_info={"xdp": [(16, f)]},
                      line_info={"xdp": [(16, "m.c", "return 0;", 7, 3)]},
                      core_relos={"xdp": [(16, i, "0", 9)]})
    from pybpf.btf import Btf
    ext = BtfExt(blob, Btf(b.encode()))
    assert ext.func_info["xdp"][0].insn == 2
    li = ext.line_info["xdp"][0]
    assert (li.line, li.column, li.source, li.file_name) == (7, 3, "return 0;", "m.c")
    assert ext.core_relos["xdp"][0].kind == CoreReloKind.TYPE_SIZE
