"""The C printer on generated BTF against ``bpftool btf dump file F format c`` (hypothesis):
struct layouts with bitfields, padding, packing and anonymous members, unions, enums with
clashing names, typedef chains, qualifiers, arrays, function pointers, pointer cycles."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pybpf.btf import Btf, IntEncoding
from pybpf.btf.cprint import CPrinter, to_c
from pybpf.btf.dump import raw_lines
from pybpf.btf.writer import BtfBuilder
from pybpf.errors import BtfError

pytestmark = pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool not installed")

NAMES = ["a", "b", "node", "val", "ops", "x"]


@st.composite
def c_like_btf(draw) -> bytes:
    b = BtfBuilder()
    sized: list[tuple[int, int, int]] = []  # (type id, size, align)
    ints = {}
    for name, size, enc in [("char", 1, 0), ("int", 4, IntEncoding.SIGNED), ("unsigned int", 4, 0),
                            ("long unsigned int", 8, 0), ("short int", 2, IntEncoding.SIGNED),
                            ("_Bool", 1, IntEncoding.BOOL), ("long int", 8, IntEncoding.SIGNED)]:
        ints[name] = b.add_int(name, size, enc)
        sized.append((ints[name], size, size))
    structs: list[int] = []
    for _ in range(draw(st.integers(1, 9))):
        what = draw(st.sampled_from(["struct", "struct", "union", "enum", "typedef", "array", "ptr",
                                     "fnptr", "qual", "fwd"]))
        name = draw(st.sampled_from(NAMES + [""]))
        if what in ("struct", "union"):
            self_ptr = b.add_ptr(b.next_id + 1) if draw(st.booleans()) else None
            members = []
            off = 0
            align = 1
            packed = draw(st.integers(0, 5)) == 0
            for _ in range(draw(st.integers(0, 5))):
                mname = draw(st.sampled_from(NAMES + [""])) if what == "struct" else draw(st.sampled_from(NAMES))
                if what == "struct" and draw(st.integers(0, 3)) == 0:
                    bits = draw(st.integers(1, 31))
                    base = draw(st.sampled_from([ints["int"], ints["unsigned int"]]))
                    if off // 32 != (off + bits - 1) // 32:
                        off = -(-off // 32) * 32
                    members.append((mname or "bf", base, off, bits))
                    off += bits
                    align = max(align, 4)
                    continue
                if self_ptr is not None and draw(st.booleans()):
                    tid, size, al = self_ptr, 8, 8
                else:
                    tid, size, al = draw(st.sampled_from(sized))
                if what == "union":
                    members.append((mname, tid, 0))
                    off = max(off, size * 8)
                else:
                    al_bits = 8 if packed else al * 8
                    off = -(-off // al_bits) * al_bits + 8 * draw(st.sampled_from([0, 0, 0, 1, 4, 8]))
                    if not packed:
                        off = -(-off // (al * 8)) * al * 8
                    members.append((mname, tid, off))
                    off += size * 8
                align = max(align, 1 if packed else al)
            size = -(-off // 8)
            size = -(-size // align) * align + draw(st.sampled_from([0, 0, align, 2 * align]))
            members = [m for m in members if m[0] or b.next_id > 0]
            sid = b.add_struct(name, size, members, union=what == "union")
            if self_ptr is not None and not name:
                pass
            structs.append(sid)
            sized.append((sid, size, align))
        elif what == "enum":
            n = draw(st.integers(1, 3))
            vals = [(draw(st.sampled_from(["A", "B", "C", "RED"])), draw(st.integers(-5, 1 << 33)))
                    for _ in range(n)]
            size = 8 if any(not -(1 << 31) <= v < (1 << 32) for _, v in vals) else 4
            sized.append((b.add_enum(name, vals, size), size, size))
        elif what == "typedef":
            tid, size, al = draw(st.sampled_from(sized))
            sized.append((b.add_typedef(name or "tdef", tid), size, al))
        elif what == "array":
            tid, size, al = draw(st.sampled_from(sized))
            n = draw(st.integers(0, 4))
            sized.append((b.add_array(tid, ints["int"], n), size * n, al))
        elif what == "ptr":
            tid, _size, _al = draw(st.sampled_from(sized))
            sized.append((b.add_ptr(tid), 8, 8))
        elif what == "fnptr":
            ret = draw(st.sampled_from([0] + [t for t, _, _ in sized]))
            params = [(draw(st.sampled_from(NAMES + [""])), draw(st.sampled_from(sized))[0])
                      for _ in range(draw(st.integers(0, 3)))]
            if draw(st.booleans()):
                params.append(("", 0))  # varargs
            proto = b.add_func_proto(ret, params)
            if draw(st.booleans()):
                b.add_func(name or "fn", proto)
            sized.append((b.add_ptr(proto), 8, 8))
        elif what == "qual":
            tid, size, al = draw(st.sampled_from(sized))
            q = draw(st.sampled_from([b.add_const, b.add_volatile]))
            sized.append((q(tid), size, al))
        else:
            fwd = b.add_fwd(name or "opaque", draw(st.booleans()))
            sized.append((b.add_ptr(fwd), 8, 8))
    return b.encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c_like_btf())
def test_c_printer_matches_bpftool(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("rnd") / "t.btf"
    path.write_bytes(blob)
    btf = Btf(blob)
    res = subprocess.run(["bpftool", "btf", "dump", "file", str(path), "format", "c"], capture_output=True,
                         text=True)
    if res.returncode:  # e.g. "libbpf: unsatisfiable type cycle, id:[9]": the same error, same id
        with pytest.raises(BtfError) as ei:
            to_c(btf)
        m = re.search(r"id:\[(\d+)\]", res.stderr)
        assert m and ei.value.type_id == int(m.group(1)), (res.stderr, str(ei.value))
        return
    assert to_c(btf) == res.stdout
    raw = subprocess.run(["bpftool", "btf", "dump", "file", str(path)], capture_output=True, text=True,
                         check=True).stdout
    assert list(raw_lines(btf)) == raw.splitlines()


def test_duplicate_names_and_forward_declarations():
    b = BtfBuilder()
    i = b.add_int("int", 4, IntEncoding.SIGNED)
    p = b.add_ptr(b.next_id + 1)              # struct node *next, before node exists
    node = b.add_struct("node", 16, [("next", p, 0), ("v", i, 64)])
    b.add_struct("node", 4, [("other", i, 0)])
    b.add_enum("", [("A", 1)])
    b.add_enum("e2", [("A", 2)])
    text = to_c(Btf(b.encode()), header=False)
    assert "struct node {\n\tstruct node *next;\n\tint v;\n};" in text  # tail padding is implicit
    assert "struct node___2 {\n\tint other;\n};" in text
    assert "\tA = 1,\n" in text and "\tA___2 = 2,\n" in text
    assert node == 3


def test_selected_types_only():
    b = BtfBuilder()
    i = b.add_int("unsigned int", 4)
    t1 = b.add_typedef("__u32", i)
    t2 = b.add_typedef("u32", t1)
    b.add_struct("unused", 4, [("x", i, 0)])
    text = CPrinter(Btf(b.encode())).dump([t2])
    assert text == "typedef unsigned int __u32;\n\ntypedef __u32 u32;\n\n"
    with pytest.raises(BtfError):
        CPrinter(Btf(b.encode())).dump([99])


def test_anonymous_enum_returned_by_a_prototype_is_top_level(tmp_path):
    """libbpf counts a prototype's parameters, not its return type, as references: an
    anonymous enum only returned by a function pointer is printed at top level."""
    b = BtfBuilder()
    b.add_int("int", 4, IntEncoding.SIGNED)
    e = b.add_enum("", [("A", 0)])
    b.add_ptr(b.add_func_proto(e, []))
    e2 = b.add_enum("", [("B", 1)])
    b.add_ptr(b.add_func_proto(0, [("x", e2)]))
    blob = b.encode()
    text = to_c(Btf(blob), header=False)
    assert "enum {\n\tA = 0,\n};\n\n" in text and "B = 1" not in text
    path = tmp_path / "t.btf"
    path.write_bytes(blob)
    assert to_c(Btf(blob)) == subprocess.run(["bpftool", "btf", "dump", "file", str(path), "format", "c"],
                                             capture_output=True, text=True, check=True).stdout


def test_modifier_loop_is_a_btf_error_naming_the_type():
    b = BtfBuilder()
    b.add_int("int", 4, IntEncoding.SIGNED)
    b.add_const(3)
    b.add_volatile(2)  # const -> volatile -> const ...
    with pytest.raises(BtfError) as ei:
        to_c(Btf(b.encode()))
    assert ei.value.type_id == 2


def test_split_btf_matches_bpftool_with_base(tmp_path):
    """Module-style split BTF: ``bpftool btf dump -B base file mod`` (raw and C)."""
    b = BtfBuilder()
    i = b.add_int("int", 4, IntEncoding.SIGNED)
    s = b.add_struct("s", 8, [("a", i, 0, 3), ("b", i, 32)])
    e = b.add_enum("e", [("A", 1)])
    b.add_struct("s", 4, [("z", i, 0)])
    base_blob = b.encode()
    base = Btf(base_blob)
    mb = BtfBuilder(base=base)
    p = mb.add_ptr(s)
    mb.add_struct("mod_only", 16, [("ptr", p, 0), ("e", e, 64)])
    mb.add_typedef("s_t", s)
    mod_blob = mb.encode()
    (tmp_path / "base.btf").write_bytes(base_blob)
    (tmp_path / "mod.btf").write_bytes(mod_blob)
    mod = Btf(mod_blob, base=base)

    def peer(*extra: str) -> str:
        return subprocess.run(["bpftool", "btf", "dump", "-B", str(tmp_path / "base.btf"), "file",
                               str(tmp_path / "mod.btf"), *extra], capture_output=True, text=True,
                              check=True).stdout

    assert to_c(mod) == peer("format", "c")
    assert list(raw_lines(mod)) == peer().splitlines()
