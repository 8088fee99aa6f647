"""Clang objects in the VM, against the kernel: trace_open.bpf.c, the CO-RE object, and every
socket/XDP test object with its maps, globals, subprograms, kconfig and callbacks.

The kernel is the oracle: tracepoint programs are attached for real (they cannot be
test-run) and the VM gets the same record, task and path; socket and XDP programs run
through BPF_PROG_TEST_RUN on the same packets, and return values, packets, every map and
ring-buffer records must agree.
"""
from __future__ import annotations

import os
import socket
import struct
import threading

import pytest

from pybpf.elf.loader import BpfObject
from pybpf.elf.vmobject import VMObject
from pybpf.kernel import RingBufReader
from pybpf.testing import BpfProgram, tracepoint_context
from pybpf.testing.frames import ethernet, icmp, ipv4, ipv6, tcp, udp
from pybpf.vm import Task

pytestmark = [pytest.mark.kernel, pytest.mark.clang]

EVENT = struct.Struct("<II16s256s")


def _cstr(raw: bytes) -> bytes:
    return raw.split(b"\0", 1)[0]


def test_trace_open_vm_matches_kernel(bpf_compile, vmlinux_h, tmp_path):
    """The seed example: the kernel's ring-buffer event for our own openat() and the VM's
    for the same record, task and path are the same event; .rodata is the same."""
    obj_path = bpf_compile("trace_open", vmlinux_h)
    target = tmp_path / "opened-by-the-vm-test.txt"
    target.write_text("x")
    seen: list[bytes] = []
    with BpfObject.open(str(obj_path)) as obj:
        obj.rodata["target_tgid"] = os.getpid()
        obj.load()
        obj.programs["handle_openat"].attach()
        with RingBufReader(obj.maps["events"], lambda rec: seen.append(bytes(rec)),
                        as_bytes=True) as rb:
            with open(target) as f:
                f.read()
            for _ in range(50):
                rb.poll(100)
                if any(str(target).encode() in r for r in seen):
                    break
        krodata = obj.maps[".rodata"].lookup_raw(bytes(4))
    kernel = [EVENT.unpack(r[:EVENT.size]) for r in seen if str(target).encode() in r][0]

    vm = VMObject(str(obj_path), task=Task.current())
    vm.rodata["target_tgid"] = os.getpid()
    ctx = tracepoint_context("syscalls/sys_enter_openat", {"dfd": -100, "filename": str(target),
                                                           "flags": os.O_RDONLY | os.O_CLOEXEC})
    vm.vm.image.merge(ctx.image)
    assert vm.run("handle_openat", ctx=ctx).r0 == 0
    records = vm.maps["events"].consume()
    assert len(records) == 1
    mine = EVENT.unpack(records[0])
    assert (mine[0], mine[1]) == (kernel[0], kernel[1]) == (os.getpid(), threading.get_native_id())
    assert _cstr(mine[2]) == _cstr(kernel[2])        # comm
    assert _cstr(mine[3]) == _cstr(kernel[3]) == str(target).encode()
    assert vm.maps[".rodata"].lookup_raw(bytes(4)) == krodata

    # another process's open is filtered out by the same .rodata, in the VM too
    vm.vm.task = Task(pid=1, tgid=1, comm="init")
    assert vm.run("handle_openat", ctx=ctx).r0 == 0
    assert vm.maps["events"].consume() == []


def _core_out_kernel(obj_path) -> tuple[int, ...]:
    with BpfObject.open(str(obj_path)) as obj:
        obj.rodata["target_pid"] = os.getpid()
        obj.load()
        assert obj.programs["core_probe"].core_failures == []
        obj.programs["core_probe"].attach()
        os.getpid()
        return struct.unpack("<24Q", obj.bss.raw("out"))


def test_core_object_vm_matches_kernel(bpf_compile, vmlinux_h):
    """Every CO-RE relocation kind resolved against the running kernel's BTF: the VM's
    out[] (offsets, sizes, existence, enum values, type ids, the task's pid, tgid and comm
    read through relocated offsets of a task_struct laid out from the same BTF) equals the
    kernel's."""
    obj_path = bpf_compile("core", vmlinux_h)
    kernel = _core_out_kernel(obj_path)
    vm = VMObject(str(obj_path), task=Task.current())
    vm.rodata["target_pid"] = os.getpid()
    assert vm.run("core_probe", ctx=bytes(64)).r0 == 0
    assert vm.core_failures["core_probe"] == []
    mine = struct.unpack("<24Q", vm.bss.raw("out"))
    assert mine[20] == 0xC0DE
    # out[17:19] is a comm copied from a stack buffer: equal up to its NUL (the kernel's
    # stack past it is whatever was there, the VM's is zero)
    assert mine[:17] + mine[19:] == kernel[:17] + kernel[19:]
    comm = [_cstr(struct.pack("<2Q", *o[17:19])) for o in (mine, kernel)]
    assert comm[0] == comm[1] == open("/proc/self/comm", "rb").read().strip()[:15]


def _small_kernel_btf():
    """A BTF of a made-up kernel whose task_struct has another layout than the running one."""
    from pybpf.btf import Btf, BtfBuilder

    b = BtfBuilder()
    u32 = b.add_int("unsigned int", 4)
    s32 = b.add_int("int", 4, encoding=1)
    char = b.add_int("char", 1, encoding=2)
    i32 = b.add_int("__ARRAY_SIZE_TYPE__", 4)
    comm = b.add_array(char, i32, 16)
    task = b.add_struct("task_struct", 64, [("comm", comm, 0), ("flags", u32, 128),
                                            ("in_execve", u32, 160, 1), ("pid", s32, 256),
                                            ("tgid", s32, 288)])
    b.add_typedef("pid_t", s32)
    b.add_enum("bpf_map_type", [("BPF_MAP_TYPE_UNSPEC", 0), ("BPF_MAP_TYPE_RINGBUF", 77)])
    return Btf(b.encode(), name="made-up kernel"), task


def test_core_against_a_chosen_btf(bpf_compile, vmlinux_h):
    """CO-RE against another kernel's BTF: the offsets, sizes, ids and enum values are that
    BTF's, and the task_struct the VM builds follows it, so pid and comm still read right."""
    obj_path = bpf_compile("core", vmlinux_h)
    btf, task_id = _small_kernel_btf()
    vm = VMObject(str(obj_path), btf=btf, task=Task(pid=77, tgid=55, comm="made-up"))
    vm.rodata["target_pid"] = 55
    vm.run("core_probe", ctx=bytes(64))
    out = struct.unpack("<24Q", vm.bss.raw("out"))
    assert out[20] == 0xC0DE
    assert (out[0], out[1]) == (55, 77)                  # tgid, pid at this BTF's offsets
    assert (out[2], out[3], out[4], out[5]) == (0, 1, 16, 1)
    assert out[8] == 20                                  # in_execve's 4-byte container at 160 bits
    assert (out[6], out[7]) == (64 - 1, 64 - 1)          # bit 0 of its container, 1 bit wide
    assert (out[9], out[11], out[12]) == (1, 64, task_id)
    assert (out[13], out[14], out[15]) == (1, 77, 0)
    assert struct.pack("<2Q", out[17], out[18]).split(b"\0")[0] == b"made-up"


PACKETS = [
    ethernet(ipv4(udp(b"hello", sport=1000, dport=53))),
    ethernet(ipv4(tcp(b"", sport=5000, dport=80), src="192.168.1.1")),
    ethernet(ipv6(icmp(b"ping", type=128, v6=True))),
    ethernet(ipv4(udp(b"")), vlans=(100,)),
    bytes(14),
    ethernet(b"\x45" + bytes(60)),
]
OBJECTS = ["subprogs", "maps_btf", "two_globals", "kconfig", "loop_cb", "maps_legacy"]


@pytest.mark.parametrize("name", OBJECTS)
def test_object_programs_vm_vs_kernel(bpf_compile, name):
    """Every program of each test object, on the same packets in the VM and the kernel:
    return value, packet, every map (BTF and legacy maps, .data/.rodata/.bss, custom data
    sections, kconfig, maps of maps) and ring-buffer records agree after each run."""
    progs = BpfProgram.load_all(bpf_compile(name))
    try:
        for prog in progs.values():
            prog.reset()
            for pkt in PACKETS:
                out = prog.run(packet=pkt, backend="both")  # raises BackendMismatch
                assert out.kernel is not None and out.note is None
    finally:
        next(iter(progs.values())).close()


def test_objects_leave_no_pins(bpf_compile):
    """maps_btf pins a map by name: the runner pins it in a directory of its own and
    removes it when the program closes."""
    from pybpf.kernel.fs import ensure_bpffs

    progs = BpfProgram.load_all(bpf_compile("maps_btf"))
    prog = progs["maps_prog"]
    prog.run(packet=PACKETS[0], backend="kernel")
    mine = [n for n in os.listdir(ensure_bpffs()) if n.startswith(f"pybpf-testing-{os.getpid()}-")]
    assert mine
    prog.close()
    assert not [n for n in os.listdir(ensure_bpffs()) if n in mine]


def _kernel_struct(btf, type_name: str, fields: dict[str, int]) -> bytes:
    """``struct type_name`` laid out by ``btf`` with ``fields`` (dotted paths, bitfields
    too) set: the test's own placement, from the member offsets BTF gives."""
    tid = btf.find(type_name, "struct")
    raw = bytearray(btf.size_of(tid))
    for path, value in fields.items():
        mtype, bit, bits = btf.member(tid, path)
        width = bits or 8 * btf.size_of(mtype)
        whole = int.from_bytes(raw, "little")
        mask = ((1 << width) - 1) << bit
        whole = (whole & ~mask) | ((value << bit) & mask)
        raw[:] = whole.to_bytes(len(raw), "little")
    return bytes(raw)


SK = "inet_conn.icsk_inet.sk."
#: out[] slot -> the tcp_sock / task_struct field core_bitfields.bpf.c reads into it
SOCK_SLOTS = {0: "is_cwnd_limited", 1: "inet_conn.icsk_ca_state",
              2: SK + "__sk_common.skc_reuse", 3: SK + "__sk_common.skc_reuseport",
              9: SK + "__sk_common.skc_reuse", 10: SK + "__sk_common.skc_reuseport",
              11: SK + "sk_protocol", 12: SK + "__sk_common.skc_state",
              13: SK + "__sk_common.skc_family", 14: SK + "sk_type", 15: SK + "sk_protocol"}
#: the slots each program writes (narrow_signed's poisoned load is refused by the kernel, as
#: libbpf leaves it: the VM is not asked to run it)
BITFIELD_PROGS = {"bits_probed": range(0, 9), "bits_direct": range(9, 14),
                  "narrow_loads": range(14, 18), "task_bits": range(19, 24)}


def _core_bitfields_kernel(obj_path) -> list[int]:
    """out[] after a TCP connection of our own (SO_REUSEADDR and SO_REUSEPORT set on the
    listener, whose close is most likely the last state change seen, so the bitfields are
    not all zero) and a few context switches, with every program attached."""
    import time

    with BpfObject.open(str(obj_path)) as obj:
        for name in BITFIELD_PROGS:
            obj.load_program(name)
            obj.programs[name].attach()
        with socket.socket() as srv:
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            srv.bind(("127.0.0.1", 0))
            srv.listen()
            cli = socket.socket()
            cli.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            cli.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            cli.connect(srv.getsockname())
            conn, _ = srv.accept()
            conn.close()
            cli.close()
        time.sleep(0.05)  # context switches for task_bits
        return list(struct.unpack("<32Q", obj.maps[".bss"].lookup_raw(bytes(4))[:256]))


def test_core_bitfields_vm_matches_kernel(bpf_compile, vmlinux_h):
    """core_bitfields.bpf.c (probed and direct bitfield reads, narrow loads adjusted to the
    kernel's field size, field-info constants, a read through a task's mm) in the kernel
    and in the VM: the relocation constants are the kernel's, and each value the kernel's
    program read from a live socket or task, placed in a struct the test lays out from
    BTF, is read back the same by the VM's run of the same relocated program."""
    from pybpf.btf import vmlinux

    obj_path = bpf_compile("core_bitfields", vmlinux_h)
    kernel = _core_bitfields_kernel(obj_path)
    btf = vmlinux()
    assert kernel[11] == socket.IPPROTO_TCP  # a TCP socket's protocol came through: they ran
    vm = VMObject(str(obj_path))
    for name, slots in BITFIELD_PROGS.items():
        if name == "task_bits":
            mm = vm.vm.image.add(_kernel_struct(btf, "mm_struct", {"map_count": kernel[23]}),
                                 space="kernel")
            arg = vm.vm.image.add(_kernel_struct(btf, "task_struct",
                                                 {"in_execve": kernel[19], "mm": mm}), space="kernel")
        else:
            fields = {SOCK_SLOTS[i]: kernel[i] for i in slots if i in SOCK_SLOTS}
            arg = vm.vm.image.add(_kernel_struct(btf, "tcp_sock", fields), space="kernel")
        assert vm.run(name, ctx=struct.pack("<3Q", 0, arg, 0) if name == "task_bits"
                      else struct.pack("<3Q", arg, 1, 2)).r0 == 0
        assert vm.core_failures[name] == []
        mine = struct.unpack("<32Q", vm.bss.raw("out"))
        assert [mine[i] for i in slots] == [kernel[i] for i in slots], name

    # values no live socket had: every bit of each bitfield, and its neighbours left alone
    chosen = {"is_cwnd_limited": 1, "inet_conn.icsk_ca_state": 0x13,
              SK + "__sk_common.skc_reuse": 0xA, SK + "__sk_common.skc_reuseport": 1,
              SK + "sk_protocol": 0x1234, SK + "sk_type": 0xBEEF}
    arg = vm.vm.image.add(_kernel_struct(btf, "tcp_sock", chosen), space="kernel")
    for name in ("bits_probed", "bits_direct", "narrow_loads"):
        vm.run(name, ctx=struct.pack("<3Q", arg, 1, 2))
    out = struct.unpack("<32Q", vm.bss.raw("out"))
    assert out[0:4] == (1, 0x13, 0xA, 1) and out[9:12] == (0xA, 1, 0x1234)
    # the u8 local view's load is widened to the kernel's u16, as libbpf relocates it, and
    # nothing masks it back (clang took the load to be one byte, already zero-extended)
    assert (out[14], out[15]) == (0xBEEF, 0x1234)
    assert [out[i] for i in (4, 5, 6, 7, 8, 16, 17, 20, 21, 22)] \
        == [kernel[i] for i in (4, 5, 6, 7, 8, 16, 17, 20, 21, 22)]
