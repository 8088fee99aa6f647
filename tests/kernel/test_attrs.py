"""The generated bpf() attribute layouts and the key/value codecs (no bpf() needed).

The layouts are checked against clang: every field offset pybpf generated from
the kernel's BTF must equal ``offsetof`` computed by clang-19 from bpftool's C
dump of the same BTF.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pybpf import uapi as A
from pybpf.errors import PybpfError
from pybpf.kernel.maps.codec import CodecError, codec_for
from pybpf.uapi.generated.attrs_table import LAYOUTS

ROOT = Path(__file__).resolve().parents[2]
VMLINUX = "/sys/kernel/btf/vmlinux"
ANON = {"map_create", "map_elem", "prog_load", "obj", "prog_attach", "get_id", "btf_load"}
INFO = {"prog_info": "struct bpf_prog_info", "map_info": "struct bpf_map_info",
        "btf_info": "struct bpf_btf_info", "link_info": "struct bpf_link_info"}


def _c_path(layout: str, field: str) -> tuple[str, str]:
    if layout in INFO:
        return INFO[layout], field
    if layout in ANON:
        return "union bpf_attr", field
    return "union bpf_attr", f"{layout}.{field}"


@pytest.mark.clang
@pytest.mark.skipif(shutil.which("bpftool") is None or not os.path.exists(VMLINUX),
                    reason="needs bpftool and kernel BTF")
def test_offsets_match_clang(tmp_path):
    header = subprocess.run(["bpftool", "btf", "dump", "file", VMLINUX, "format", "c"], check=True,
                            capture_output=True, text=True).stdout
    (tmp_path / "vmlinux.h").write_text(header)
    checks = []
    for layout, (_size, fields) in LAYOUTS.items():
        for name, (off, fsize, _bit, bits, _code) in fields.items():
            if bits:
                continue
            ctype, path = _c_path(layout, name)
            checks.append((layout, name, off, fsize, ctype, path))
    lines = ['#include "vmlinux.h"', "int printf(const char *, ...);", "int main(void) {"]
    for layout, name, _off, _size, ctype, path in checks:
        lines.append(f'printf("{layout} {name} %lu %lu\\n", (unsigned long)__builtin_offsetof({ctype}, '
                     f"{path}), (unsigned long)sizeof((({ctype} *)0)->{path}));")
    lines.append("return 0; }")
    (tmp_path / "off.c").write_text("\n".join(lines))
    subprocess.run(["clang-19", "-w", "-o", str(tmp_path / "off"), str(tmp_path / "off.c")], check=True,
                   cwd=tmp_path, capture_output=True)
    out = subprocess.run([str(tmp_path / "off")], check=True, capture_output=True, text=True).stdout
    got = {(a, b): (int(c), int(d)) for a, b, c, d in (ln.split() for ln in out.splitlines())}
    assert len(got) == len(checks) > 300
    for layout, name, off, fsize, _c, _p in checks:
        assert got[(layout, name)] == (off, fsize), f"{layout}.{name}"


@pytest.mark.skipif(not os.access(VMLINUX, os.R_OK), reason="no kernel BTF")
def test_checked_in_table_matches_this_kernel():
    out = subprocess.run([sys.executable, "-m", "pybpf.uapi.generated.gen_attrs_table"], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    assert out == (ROOT / "pybpf" / "uapi" / "generated" / "attrs_table.py").read_text(), \
        "regenerate: python -m pybpf.uapi.generated.gen_attrs_table > pybpf/uapi/generated/attrs_table.py"


def test_constants_come_from_btf_enums():
    assert A.MAP_TYPES["hash"] == 1 and A.MAP_TYPES["ringbuf"] == 27
    assert A.PROG_TYPES["xdp"] == 6 and A.ATTACH_TYPES["cgroup_inet_ingress"] == 0
    assert A.BPF_F_MMAPABLE == 1 << 10 and A.BPF_NOEXIST == 1


@pytest.mark.parametrize("name", ["hash", "HASH", "BPF_MAP_TYPE_HASH", 1])
def test_map_type_spellings(name):
    assert A.map_type(name) == 1


def test_unknown_names_suggest():
    with pytest.raises(PybpfError, match="did you mean.*percpu_hash"):
        A.map_type("percpu")
    with pytest.raises(PybpfError, match="unknown program type 'xpd'"):
        A.prog_type("xpd")
    with pytest.raises(PybpfError):
        A.map_type(True)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_layout_roundtrip(data):
    name = data.draw(st.sampled_from(sorted(LAYOUTS)))
    layout = A.Layout(name, *LAYOUTS[name])
    ints = {f: spec for f, spec in layout.fields.items() if spec[4] in ("u", "i")}
    chosen = data.draw(st.lists(st.sampled_from(sorted(ints)), unique=True, max_size=6)) if ints else []
    values = {}
    for f in chosen:
        _off, size, _bit, bits, _code = ints[f]
        width = bits or 8 * size
        if _code == "i" and not bits:  # a signed field holds its signed range
            values[f] = data.draw(st.integers(-(1 << (width - 1)), (1 << (width - 1)) - 1))
        else:
            values[f] = data.draw(st.integers(0, (1 << width) - 1))
    # fields of one union arm may alias another's: keep only non-overlapping ones
    used: list[tuple[int, int]] = []
    kept = {}
    for f, v in values.items():
        off, size = ints[f][0], ints[f][1]
        if all(off + size <= a or b <= off for a, b in used) or ints[f][3]:
            if not ints[f][3]:
                used.append((off, off + size))
                kept[f] = v
    buf = layout.new(**kept)
    assert len(buf) == layout.size
    for f, v in kept.items():
        assert layout.get(buf, f) == v


@example(name="get_id", field="fd_by_id_token_fd", value=2**31)  # drawn on a fresh machine
@example(name="prog_load", field="prog_token_fd", value=-1)
@given(name=st.sampled_from(sorted(LAYOUTS)), field=st.text(), value=st.integers(-(1 << 64), 1 << 64))
def test_signed_fields_read_back_what_was_written_or_refuse_it(name, field, value):
    layout = A.Layout(name, *LAYOUTS[name])
    if field not in layout.fields or layout.fields[field][4] != "i" or layout.fields[field][3]:
        signed = [f for f, spec in sorted(layout.fields.items()) if spec[4] == "i" and not spec[3]]
        if not signed:
            return
        field = signed[len(field) % len(signed)]
    size = layout.fields[field][1]
    if -(1 << (8 * size - 1)) <= value < (1 << (8 * size - 1)):
        assert layout.get(layout.new(**{field: value}), field) == value
    else:
        with pytest.raises(PybpfError, match=f"{name}.{field}: .* signed"):
            layout.new(**{field: value})


def test_layout_errors_name_the_field():
    with pytest.raises(PybpfError, match="map_create: no field 'key_sz'"):
        A.MAP_CREATE.new(key_sz=4)
    with pytest.raises(PybpfError, match="map_create.key_size.*does not fit"):
        A.MAP_CREATE.new(key_size=1 << 32)
    with pytest.raises(PybpfError, match="map_name.*do not fit"):
        A.MAP_CREATE.new(map_name="x" * 16)
    assert A.MAP_CREATE.get(A.MAP_CREATE.new(map_name="abc"), "map_name") == b"abc"


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([1, 2, 4, 8]), st.data())
def test_int_codec_roundtrip(size, data):
    c = codec_for(int, size, "key")
    v = data.draw(st.integers(0, (1 << (8 * size)) - 1))
    assert c.decode(c.encode(v)) == v and len(c.encode(v)) == size
    neg = data.draw(st.integers(-(1 << (8 * size - 1)), -1))
    assert c.decode(c.encode(neg)) == neg + (1 << (8 * size))
    with pytest.raises(CodecError):
        c.encode(1 << (8 * size))


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(-(2**63), 2**63 - 1))
def test_struct_and_ctypes_codecs(a, b):
    s = codec_for("<Iq", None, "value")
    assert s.decode(s.encode((a, b))) == (a, b)

    class P(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("a", ctypes.c_uint32), ("b", ctypes.c_int64)]

    c = codec_for(P, 12, "value")
    got = c.decode(c.encode(P(a, b)))
    assert (got.a, got.b) == (a, b)
    assert c.encode(s.encode((a, b))) == s.encode((a, b))  # bytes pass through


def test_codec_size_mismatch_is_named():
    with pytest.raises(CodecError, match="value.*is 8 bytes but the map's value size is 4"):
        codec_for("<Q", 4, "value")
    with pytest.raises(CodecError, match="unsupported type spec"):
        codec_for(3.5, 4, "key")
