"""BPF_BTF_LOAD on the live kernel: blobs from pybpf's writer load, malformed ones come back
as KernelError carrying the kernel's BTF log, sanitized object BTF loads, feature probes."""
from __future__ import annotations

import errno

import pytest

from pybpf.btf import Btf, IntEncoding, Kind, Linkage
from pybpf.btf.writer import BtfBuilder, Features, sanitize
from pybpf.errors import KernelError
from pybpf.kernel.btf import load_btf, probe_features

pytestmark = pytest.mark.kernel


def full_blob() -> bytes:
    b = BtfBuilder()
    i = b.add_int("int", 4, IntEncoding.SIGNED)
    u = b.add_int("unsigned int", 4)
    s = b.add_struct("pair", 8, [("lo", u, 0, 3), ("hi", u, 3, 29), ("n", i, 32)])
    p = b.add_ptr(s)
    proto = b.add_func_proto(i, [("ctx", p)])
    f = b.add_func("prog", proto, Linkage.GLOBAL)
    b.add_decl_tag("tag", f)
    v = b.add_var("counter", i, Linkage.GLOBAL)
    b.add_datasec(".bss", 4, [(v, 0, 4)])
    b.add_float("double", 8)
    b.add_enum("big", [("BIG", 1 << 40)], 8)
    b.add_ptr(b.add_type_tag("user", i))
    return b.encode()


def test_load_writer_blob():
    with load_btf(full_blob(), log_level=1) as h:
        assert h.fd >= 0
        assert "pair" in h.log or h.log == "" or "magic" in h.log
    assert h.closed


def test_malformed_blob_carries_kernel_log():
    b = BtfBuilder()
    i = b.add_int("int", 4, IntEncoding.SIGNED)
    b.add_ptr(i + 40)  # refers to a type that does not exist
    with pytest.raises(KernelError) as ei:
        load_btf(b.encode())
    e = ei.value
    assert e.command == "BPF_BTF_LOAD" and e.errno == errno.EINVAL
    assert "Invalid type_id" in e.log and "[2] PTR" in e.log
    assert "Invalid type_id" in str(e)


def test_bad_struct_layout_log_names_member():
    b = BtfBuilder()
    i = b.add_int("int", 4, IntEncoding.SIGNED)
    b.add_struct("s", 4, [("a", i, 0), ("b", i, 32)])  # member beyond the struct's size
    with pytest.raises(KernelError) as ei:
        load_btf(b.encode())
    assert "Member exceeds struct_size" in ei.value.log


def test_probe_features_on_this_kernel():
    feats = probe_features()
    assert feats == Features()  # a 6.x kernel knows every kind


def test_sanitized_blob_loads_and_keeps_ids():
    btf = Btf(full_blob())
    old = sanitize(btf, Features.none())
    with load_btf(old) as h:
        assert h.fd >= 0
    san = Btf(old)
    assert san.nr_types == btf.nr_types
    assert san.kind(btf.find("prog", "func")) == Kind.TYPEDEF
    assert san.kind(btf.find("pair", "struct")) == Kind.STRUCT


@pytest.mark.clang
def test_object_btf_loads_once_datasecs_are_sized(tmp_path):
    import subprocess

    from pybpf.btf.objfile import from_object
    from pybpf.btf.writer import with_datasec_sizes
    from pybpf.elf.reader import ElfReader

    src = tmp_path / "o.bpf.c"
    src.write_text('struct s { int a; long b; } g;\nint v = 3;\n'
                   '__attribute__((section("xdp"), used)) int prog(void *ctx) { return g.a + v; }\n'
                   'char LICENSE[] __attribute__((section("license"), used)) = "GPL";\n')
    obj = tmp_path / "o.bpf.o"
    subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", "-c", str(src), "-o", str(obj)], check=True)
    btf, _ = from_object(obj)
    # clang leaves DATASEC sizes to the loader: as is, the kernel refuses and says why
    with pytest.raises(KernelError) as ei:
        load_btf(btf)
    assert "DATASEC .bss size=0" in ei.value.log and "size == 0" in ei.value.log
    reader = ElfReader.from_path(str(obj))
    sizes = {s.name: s.size for s in reader.sections()}
    fixed = Btf(with_datasec_sizes(btf, sizes))
    assert fixed.get(".bss", "datasec").size == 16
    with load_btf(sanitize(fixed, probe_features())) as h:
        assert h.fd >= 0
