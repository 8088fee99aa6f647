"""Objects loaded into the live kernel by pybpf behave as under libbpf (bpftool)."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import uuid

import pytest

from pybpf.elf.loader import BpfObject
from pybpf.errors import PybpfError

pytestmark = [pytest.mark.kernel, pytest.mark.clang]

PKT = bytes(64)


def test_subprograms_and_globals_run(bpf_compile):
    with BpfObject.open(str(bpf_compile("subprogs"))) as obj:
        assert obj.rodata["factor"] == 3
        obj.rodata["factor"] = 5          # .rodata constants are set before load
        obj.load()
        # add_base(1) = 1*5 + 100, global_sum(0) = 10
        assert obj.programs["subprogs_xdp"].prog.test_run(PKT).retval == 115
        assert obj.programs["subprogs_sock"].prog.test_run(PKT).retval == 35
        assert obj.bss["calls"] == 3      # .bss is live after load: 1 + 2
        obj.data["base"] = 1000           # and writable
        assert obj.programs["subprogs_xdp"].prog.test_run(PKT).retval == (5 + 1000 + 10) & 0xFF
        with pytest.raises(PybpfError, match="read-only after load"):
            obj.rodata["factor"] = 1


def test_btf_maps_map_in_map_and_pinning(bpf_compile, tmp_path):
    os.makedirs("/sys/fs/bpf", exist_ok=True)
    from pybpf.kernel.fs import ensure_bpffs

    root = os.path.join(ensure_bpffs(), f"pybpf-test-{uuid.uuid4().hex[:8]}")
    os.mkdir(root)
    try:
        with BpfObject.open(str(bpf_compile("maps_btf"))) as obj:
            obj.load(pin_root=root)
            assert os.path.exists(os.path.join(root, "pinned_map"))
            run = obj.programs["maps_prog"].prog.test_run(PKT)
            assert run.retval == 0  # events_by_pid and pinned_map are empty
            assert obj.maps["counters"].lookup_raw(struct.pack("<I", 0)) == struct.pack("<Q", 1)
            inner_a = obj.maps["inner_a"]  # outer[0] was initialised to inner_a
            assert inner_a.lookup_raw(struct.pack("<I", 0)) == struct.pack("<Q", 1)
            obj.maps["pinned_map"].update(struct.pack("<I", 0), struct.pack("<Q", 7))
        # a second object reuses the pinned map, with its contents
        with BpfObject.open(str(bpf_compile("maps_btf"))) as obj2:
            obj2.load(pin_root=root)
            assert obj2.programs["maps_prog"].prog.test_run(PKT).retval == 2
    finally:
        for name in os.listdir(root):
            os.unlink(os.path.join(root, name))
        os.rmdir(root)


def test_legacy_maps_load(bpf_compile):
    with BpfObject.open(str(bpf_compile("maps_legacy"))) as obj:
        obj.load()
        obj.maps["legacy_array"].update(struct.pack("<I", 1), struct.pack("<I", 42))
        assert obj.programs["legacy_prog"].prog.test_run(PKT).retval == 42
        assert obj.maps["legacy_hash"].lookup_raw(struct.pack("<I", 1)) == struct.pack("<Q", 1)


def _bpftool_json(*args: str):
    out = subprocess.run(["bpftool", "-j", *args], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_libbpf_refuses_legacy_maps_but_pybpf_loads_them(bpf_compile):
    res = subprocess.run(["bpftool", "prog", "loadall", str(bpf_compile("maps_legacy")),
                          "/sys/fs/bpf/pybpf-never"], capture_output=True, text=True)
    assert res.returncode != 0 and "legacy map definitions" in res.stderr


def _map_contents(map_ids) -> dict[str, list[tuple[bytes, bytes]]]:
    """map name -> sorted (key, value) pairs, for maps with a lookup-able key space."""
    from pybpf.kernel.maps import Map

    out = {}
    for mid in map_ids:
        with Map.from_id(mid) as m:
            info = m.info()
            if info.type in ("ringbuf", "array_of_maps", "hash_of_maps"):
                out[info.name] = [("kind", info.type)]
                continue
            out[info.name] = sorted((k, m.lookup_raw(k)) for k in m.keys_raw())
    return out


_RUNNABLE = {"socket_filter", "xdp", "sched_cls"}


@pytest.mark.parametrize("name", ["subprogs", "maps_btf", "kconfig", "loop_cb", "core", "trace_open"])
def test_same_programs_as_bpftool_loadall(bpf_compile, vmlinux_dir, name):
    """bpftool (libbpf) and pybpf load the same programs: same type, same tag (a hash of
    the translated instructions, so CO-RE, kconfig, globals and subprograms were resolved
    identically), same number of maps; runnable ones return the same value and leave
    every map with the same contents."""
    from pybpf.kernel.fs import ensure_bpffs
    from pybpf.kernel.prog import Program

    obj_path = str(bpf_compile(name, vmlinux_dir))
    pin = os.path.join(ensure_bpffs(), f"pybpf-cmp-{uuid.uuid4().hex[:8]}")
    subprocess.run(["bpftool", "prog", "loadall", obj_path, pin], check=True, capture_output=True)
    try:
        theirs, their_maps = {}, set()
        for entry in sorted(os.listdir(pin)):
            with Program.from_pinned(os.path.join(pin, entry)) as p:
                info = p.info()
                ret = p.test_run(PKT).retval if info.type in _RUNNABLE else None
                theirs[info.name] = (info.type, info.tag, ret, len(info.map_ids))
                their_maps.update(info.map_ids)
        their_contents = _map_contents(their_maps)
        if name == "maps_btf":  # the pinned map is shared by both loads: empty it between
            subprocess.run(["rm", "-f", "/sys/fs/bpf/pinned_map"], check=False)
        with BpfObject.open(obj_path) as obj:
            obj.load()
            ours, our_maps = {}, set()
            for pname, lp in obj.programs.items():
                info = lp.prog.info()
                ret = lp.prog.test_run(PKT).retval if info.type in _RUNNABLE else None
                ours[pname[:15]] = (info.type, info.tag, ret, len(info.map_ids))
                our_maps.update(info.map_ids)
            our_contents = _map_contents(our_maps)
        assert ours == theirs
        assert our_contents == their_contents
    finally:
        subprocess.run(["rm", "-rf", pin], check=False)
        if name == "maps_btf":  # libbpf pins LIBBPF_PIN_BY_NAME maps under its default root
            subprocess.run(["rm", "-f", "/sys/fs/bpf/pinned_map"], check=False)


def test_verifier_log_shows_c_source_lines(bpf_compile):
    """func/line info reach the kernel: its log interleaves the C source."""
    with BpfObject.open(str(bpf_compile("subprogs"))) as obj:
        obj.load(log_level=2)
        log = obj.programs["subprogs_xdp"].prog.log
        info = obj.programs["subprogs_xdp"].prog.info()
    assert "; calls++;" in log and "subprogs.bpf.c:" in log
    assert "; return x * factor;" in log          # a subprogram's line, too
    assert info.btf_id != 0


def test_bpf_loop_callback_runs_and_verifies(bpf_compile):
    """A bpf_loop callback needs the func info pybpf passes; pybpf's verifier agrees."""
    with BpfObject.open(str(bpf_compile("loop_cb"))) as obj:
        assert obj.verify()["loop_prog"].accepted
        obj.load()
        obj.programs["loop_prog"].prog.test_run(PKT)
        assert obj.bss["total"] == 45


def test_every_global_has_its_own_offset(bpf_compile):
    """Globals are read and written where the program finds them (ELF symbol offsets: clang
    leaves the BTF DATASEC offsets at 0)."""
    with BpfObject.open(str(bpf_compile("two_globals"))) as obj:
        assert (obj.rodata["a"], obj.rodata["b"], obj.data["x"], obj.data["y"]) == (1, 2, 10, 20)
        obj.rodata["b"] = 5
        obj.data["y"] = 30
        obj.load()
        assert obj.programs["two"].prog.test_run(PKT).retval == 100 + 5 + 10 + 30
        assert (obj.bss["hits_a"], obj.bss["hits_b"]) == (0, 3)
