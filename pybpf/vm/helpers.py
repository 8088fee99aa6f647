"""Helper functions implemented in Python, on VM memory and VM-side maps.

Each helper is registered under its kernel name (``map_lookup_elem``...) and
looked up by the id `pybpf.isa.helper_id` gives for that name, so no helper
number is spelled here. A helper is ``fn(machine) -> int``: it reads its
arguments from r1-r5 and returns r0. Return codes are the kernel's.

Implemented: map lookup/update/delete and push/pop/peek; ``ktime_get_ns`` (and
the boot/coarse variants); ``get_prandom_u32``; ``get_smp_processor_id``;
``trace_printk`` (captured in `VM.output`); ring buffer output, reserve,
submit and discard; perf event output (records kept per map); ``probe_read``
and its kernel/user/str variants on VM memory and a `pybpf.vm.image.MemoryImage`
(a bad source gives -EFAULT and a zeroed destination, as in the kernel);
``get_current_pid_tgid``/``uid_gid``/``comm``/``task`` from the VM's fake
`Task`; ``skb_load_bytes`` and ``xdp_load_bytes`` from the run's packet (past
its end: -EFAULT); ``tail_call``; ``loop`` (``bpf_loop`` callbacks).
A test replaces any of them per VM (``VM(helpers={"ktime_get_ns": ...})``,
`pybpf.vm.stubs`).

Memory arguments are checked at the call, as the kernel's verifier contract for
them says (`MEM_ARGS`: a pointer and its size argument, ``ARG_CONST_SIZE`` or
``_OR_ZERO``): the whole 64-bit size must fit in one region the helper may read
or write, a zero size is refused where the contract says > 0, and a negative one
always. A program the verifier accepts never breaks this; one it rejects faults
at the call itself, the instruction the kernel names, rather than later or not
at all (the kernel's helpers take a 32-bit size, which would hide a size that is
wrong only in its upper half).

>>> lookup(helper_id("ktime_get_ns")) is not None
True
>>> lookup(helper_id("skb_store_bytes")) is None
True
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from ..errors import VMFault
from ..isa import helper_id
from .compile import Switch
from .maps import HashMap, MapOfMaps, PerCpuHashMap, PerfEventArrayMap, QueueMap, RingBufMap, VMMap

if TYPE_CHECKING:
    from .machine import Machine

Helper = Callable[["Machine"], int]
_BY_ID: dict[int, Helper] = {}
M64 = (1 << 64) - 1
#: bpf_loop's limit on iterations (BPF_MAX_LOOPS).
MAX_LOOPS = 8 * 1024 * 1024


class MemArg(NamedTuple):
    """A memory argument of a helper: R``ptr`` points at R``size`` bytes (or ``fixed``
    bytes) the helper reads (``write=False``) or writes; ``zero_ok``: the contract is
    ``ARG_CONST_SIZE_OR_ZERO`` rather than ``ARG_CONST_SIZE``."""

    ptr: int
    size: int | None
    write: bool
    zero_ok: bool


#: The memory arguments of the helpers the VM implements, as the kernel's
#: ``bpf_func_proto``s declare them (pybpf.verifier.helper_protos has the same facts;
#: tests/vm compare the two tables).
MEM_ARGS: dict[str, tuple[MemArg, ...]] = {
    "probe_read": (MemArg(1, 2, True, True),),
    "probe_read_kernel": (MemArg(1, 2, True, True),),
    "probe_read_user": (MemArg(1, 2, True, True),),
    "probe_read_str": (MemArg(1, 2, True, True),),
    "probe_read_kernel_str": (MemArg(1, 2, True, True),),
    "probe_read_user_str": (MemArg(1, 2, True, True),),
    "get_current_comm": (MemArg(1, 2, True, False),),
    "trace_printk": (MemArg(1, 2, False, False),),
    "ringbuf_output": (MemArg(2, 3, False, True),),
    "skb_load_bytes": (MemArg(3, 4, True, False),),
    "xdp_load_bytes": (MemArg(3, 4, True, False),),
}


def check_mem_args(m: Machine, name: str, args: tuple[MemArg, ...]) -> None:
    """Fault unless every memory argument of helper ``name`` meets its contract."""
    R = m.R
    for a in args:
        n = R[a.size] if a.size is not None else 0
        what = f"bpf_{name}: R{a.ptr} with size R{a.size} = "
        if n >> 63:
            raise VMFault(f"{what}{n - (1 << 64)}: a negative size", address=R[a.ptr])
        if n == 0:
            if a.zero_ok:
                continue
            raise VMFault(f"{what}0: the size must be > 0", address=R[a.ptr])
        try:
            m.mem._find(R[a.ptr], n, "write" if a.write else "read")
        except VMFault as f:
            raise VMFault(f"{what}{n}: {f.message}", address=f.address, region=f.region,
                          offset=f.offset) from None


def helper(*names: str) -> Callable[[Helper], Helper]:
    """Register a helper implementation under kernel helper ``names`` (with the check
    of its `MEM_ARGS`, if it has any)."""
    def deco(fn: Helper) -> Helper:
        for name in names:
            num = helper_id(name)
            if num is None:
                continue
            args = MEM_ARGS.get(name)
            if args:
                def checked(m: Machine, fn: Helper = fn, name: str = name,
                            args: tuple[MemArg, ...] = args) -> int:
                    check_mem_args(m, name, args)
                    return fn(m)
                _BY_ID[num] = checked
            else:
                _BY_ID[num] = fn
        return fn
    return deco


def lookup(num: int) -> Helper | None:
    """The implementation of helper ``num``, or None when the VM has none."""
    return _BY_ID.get(num)


def call(m: Machine, num: int) -> int:
    fn = _BY_ID[num]
    return fn(m)


def implemented() -> list[int]:
    """Ids of every helper the VM implements."""
    return sorted(_BY_ID)


def _neg(err: int) -> int:
    return -err & M64


def _dst(m: Machine, addr: int, size: int) -> None:
    """Fault now if ``size`` bytes at ``addr`` are not writable (before building buffers)."""
    if size:
        m.mem._find(addr, size, "write")


def _key(m: Machine, mp: VMMap, addr: int) -> bytes:
    return m.mem.read(addr, mp.key_size)


# -- maps --------------------------------------------------------------------------------
@helper("map_lookup_elem")
def _map_lookup(m: Machine) -> int:
    R = m.R
    mp = m.map_from_handle(R[1], "bpf_map_lookup_elem")
    key = _key(m, mp, R[2])
    if isinstance(mp, MapOfMaps):  # the inner map itself
        inner = mp.inner_map(key)
        return 0 if inner is None else m.map_handle(inner)
    v = mp.lookup(key)
    return 0 if v is None else m.value_address(mp, v, f"[{key.hex()}]")


@helper("map_update_elem")
def _map_update(m: Machine) -> int:
    R = m.R
    mp = m.map_from_handle(R[1], "bpf_map_update_elem")
    if isinstance(mp, QueueMap):
        return _neg(errno.EINVAL)
    key = _key(m, mp, R[2])
    value = m.mem.read(R[3], mp.value_size)
    return mp.update(key, value, R[4]) & M64


@helper("map_delete_elem")
def _map_delete(m: Machine) -> int:
    R = m.R
    mp = m.map_from_handle(R[1], "bpf_map_delete_elem")
    key = _key(m, mp, R[2])
    old = mp.lookup(key) if isinstance(mp, HashMap | PerCpuHashMap) else None
    rc = mp.delete(key)
    if rc == 0 and old is not None:
        m.forget_value(old)
    return rc & M64


@helper("map_push_elem")
def _map_push(m: Machine) -> int:
    R = m.R
    mp = m.map_from_handle(R[1], "bpf_map_push_elem")
    if not isinstance(mp, QueueMap):
        return _neg(errno.EINVAL)
    return mp.push(m.mem.read(R[2], mp.value_size), R[3]) & M64


def _pop_or_peek(m: Machine, pop: bool) -> int:
    R = m.R
    mp = m.map_from_handle(R[1], "bpf_map_pop_elem" if pop else "bpf_map_peek_elem")
    if not isinstance(mp, QueueMap):
        return _neg(errno.EINVAL)
    v = mp.pop() if pop else mp.peek()
    if v is None:
        return _neg(errno.ENOENT)
    m.mem.write(R[2], v)
    return 0


@helper("map_pop_elem")
def _map_pop(m: Machine) -> int:
    return _pop_or_peek(m, True)


@helper("map_peek_elem")
def _map_peek(m: Machine) -> int:
    return _pop_or_peek(m, False)


# -- time, randomness, cpu, task ----------------------------------------------------------
@helper("ktime_get_ns", "ktime_get_boot_ns", "ktime_get_coarse_ns", "ktime_get_tai_ns")
def _ktime(m: Machine) -> int:
    return m.clock()


@helper("get_prandom_u32")
def _prandom(m: Machine) -> int:
    return m.random.getrandbits(32)


@helper("get_smp_processor_id")
def _cpu(m: Machine) -> int:
    return m.cpu


@helper("get_numa_node_id")
def _numa(m: Machine) -> int:
    return 0


@helper("get_current_pid_tgid")
def _pid_tgid(m: Machine) -> int:
    return (m.task.tgid << 32) | (m.task.pid & 0xFFFFFFFF)


@helper("get_current_uid_gid")
def _uid_gid(m: Machine) -> int:
    return (m.task.gid << 32) | (m.task.uid & 0xFFFFFFFF)


@helper("get_current_comm")
def _comm(m: Machine) -> int:
    R = m.R
    size = R[2] & 0xFFFFFFFF
    if size == 0:
        return _neg(errno.EINVAL)
    _dst(m, R[1], size)
    comm = m.task.comm.encode()[:15][: size - 1]
    m.mem.write(R[1], comm + bytes(size - len(comm)))
    return 0


# -- probe_read ---------------------------------------------------------------------------
# The user variants read only a memory image's user memory, the kernel variants everything
# else, the legacy ones both; what the kernel could not copy gives a zeroed destination and
# -EFAULT, or -ERANGE for a kernel read of a user address (as this kernel answers).
_SPACE = {"probe_read": "any", "probe_read_kernel": "kernel", "probe_read_user": "user",
          "probe_read_str": "any", "probe_read_kernel_str": "kernel",
          "probe_read_user_str": "user"}


def _read_mem(m: Machine, space: str) -> int:
    R = m.R
    size = R[2] & 0xFFFFFFFF
    _dst(m, R[1], size)
    data = m.mem.read_probe(R[3], size, space) if size else b""
    if isinstance(data, int):
        m.mem.write(R[1], bytes(size))
        return _neg(data)
    m.mem.write(R[1], data)
    return 0


def _read_str(m: Machine, space: str) -> int:
    R = m.R
    size = R[2] & 0xFFFFFFFF
    if size == 0:
        return 0
    _dst(m, R[1], size)
    s = m.mem.read_probe_str(R[3], size - 1, space)
    if isinstance(s, int):
        m.mem.write(R[1], bytes(size))
        return _neg(s)
    m.mem.write(R[1], s + b"\0")
    return len(s) + 1


@helper("probe_read")
def _probe_read(m: Machine) -> int:
    return _read_mem(m, "any")


@helper("probe_read_kernel")
def _probe_read_kernel(m: Machine) -> int:
    return _read_mem(m, "kernel")


@helper("probe_read_user")
def _probe_read_user(m: Machine) -> int:
    return _read_mem(m, "user")


@helper("probe_read_str")
def _probe_read_str(m: Machine) -> int:
    return _read_str(m, "any")


@helper("probe_read_kernel_str")
def _probe_read_kernel_str(m: Machine) -> int:
    return _read_str(m, "kernel")


@helper("probe_read_user_str")
def _probe_read_user_str(m: Machine) -> int:
    return _read_str(m, "user")


@helper("get_current_task", "get_current_task_btf")
def _current_task(m: Machine) -> int:
    return m.task_address()


# -- packets --------------------------------------------------------------------------------
@helper("skb_load_bytes", "xdp_load_bytes")
def _load_bytes(m: Machine) -> int:
    R = m.R
    off, size = R[2] & 0xFFFFFFFF, R[4] & 0xFFFFFFFF
    pkt = m.packet
    _dst(m, R[3], size)
    if pkt is None or off + size > len(pkt.data) or size == 0:
        m.mem.write(R[3], bytes(size))
        return _neg(errno.EFAULT)
    m.mem.write(R[3], bytes(pkt.data[off:off + size]))
    return 0


# -- trace_printk -------------------------------------------------------------------------
_SPEC = re.compile(rb"%(?:%|(?:[-+ 0#]*\d*)(?:ll|l|h|hh|z)?[diuxXpsc])")


def format_printk(m: Machine, fmt: bytes, args: list[int]) -> str:
    """Format like the kernel's ``bpf_trace_printk`` (%d %i %u %x %p %s %c, l/ll)."""
    out = []
    pos = 0
    argi = 0
    for mt in _SPEC.finditer(fmt):
        out.append(fmt[pos:mt.start()].decode(errors="replace"))
        pos = mt.end()
        spec = mt.group().decode()
        if spec == "%%":
            out.append("%")
            continue
        if argi >= len(args):
            raise VMFault(f"bpf_trace_printk: format {fmt!r} needs more than {len(args)} arguments")
        v = args[argi]
        argi += 1
        conv = spec[-1]
        long = "l" in spec
        width = 64 if long else 32
        if conv == "s":
            out.append(m.mem.read_cstr(v, 4096).decode(errors="replace"))
            continue
        if conv == "c":
            out.append(chr(v & 0xFF))
            continue
        if conv == "p":
            out.append(f"{v:#x}" if v else "(null)")
            continue
        u = v & ((1 << width) - 1)
        flags = spec[1:-1].rstrip("lhz")
        if conv in "di":
            val = u - (1 << width) if u >> (width - 1) else u
            out.append(f"{val:{flags}d}" if flags else str(val))
        elif conv == "u":
            out.append(f"{u:{flags}d}" if flags else str(u))
        else:
            out.append(f"{u:{flags}{conv}}")
    out.append(fmt[pos:].decode(errors="replace"))
    return "".join(out)


@helper("trace_printk")
def _trace_printk(m: Machine) -> int:
    R = m.R
    size = R[2] & 0xFFFFFFFF
    raw = m.mem.read(R[1], size)
    nul = raw.find(b"\0")
    if nul < 0:
        raise VMFault("bpf_trace_printk: format string is not NUL-terminated within fmt_size")
    text = format_printk(m, raw[:nul], [R[3], R[4], R[5]])
    m.output.append(text)
    return len(text.encode())


# -- ring buffer --------------------------------------------------------------------------
def _ringbuf(m: Machine, addr: int, name: str) -> RingBufMap:
    mp = m.map_from_handle(addr, name)
    if not isinstance(mp, RingBufMap):
        raise VMFault(f"{name}: map {mp.name!r} is a {mp.kind}, not a ringbuf")
    return mp


@helper("ringbuf_output")
def _rb_output(m: Machine) -> int:
    R = m.R
    mp = _ringbuf(m, R[1], "bpf_ringbuf_output")
    size = R[3] & 0xFFFFFFFF
    data = m.mem.read(R[2], size)
    if not mp.reserve(size):
        return _neg(errno.EAGAIN)
    mp.commit(data, size)
    return 0


@helper("ringbuf_reserve")
def _rb_reserve(m: Machine) -> int:
    R = m.R
    mp = _ringbuf(m, R[1], "bpf_ringbuf_reserve")
    size = R[2] & 0xFFFFFFFF
    if not mp.reserve(size):
        return 0
    r = m.mem.map(f"ringbuf record ({mp.name})", size, kind="ringbuf record")
    m.reservations[r.base] = (mp, r, size)
    return r.base


def _rb_release(m: Machine, submit: bool) -> int:
    name = "bpf_ringbuf_submit" if submit else "bpf_ringbuf_discard"
    addr = m.R[1]
    res = m.reservations.pop(addr, None)
    if res is None:
        raise VMFault(f"{name}: {addr:#x} is not a reserved ring buffer record", address=addr)
    mp, region, size = res
    mp.commit(bytes(region.data) if submit else None, size)
    m.mem.unmap(region, why=f"the ring buffer record was {'submitted' if submit else 'discarded'}")
    return 0


@helper("ringbuf_submit")
def _rb_submit(m: Machine) -> int:
    return _rb_release(m, True)


@helper("ringbuf_discard")
def _rb_discard(m: Machine) -> int:
    return _rb_release(m, False)


@helper("perf_event_output")
def _perf_output(m: Machine) -> int:
    R = m.R
    mp = m.map_from_handle(R[2], "bpf_perf_event_output")
    if not isinstance(mp, PerfEventArrayMap):
        raise VMFault(f"bpf_perf_event_output: map {mp.name!r} is a {mp.kind}, not a "
                      "perf_event_array")
    size = R[5] & 0xFFFFFFFF
    mp.records.append((m.cpu, m.mem.read(R[4], size)))
    return 0


# -- control flow -------------------------------------------------------------------------
@helper("tail_call")
def _tail_call(m: Machine) -> int:
    R = m.R
    mp = m.map_from_handle(R[2], "bpf_tail_call")
    if m.tail_call(mp, R[3] & 0xFFFFFFFF):
        raise Switch
    return _neg(errno.ENOENT)


#: helpers whose implementation runs BPF code (`Machine.call_function`)
CALLS_BACK = frozenset(n for n in (helper_id("loop"),) if n is not None)


@helper("loop")
def _loop(m: Machine) -> int:
    R = m.R
    n, fn, ctx, flags = R[1] & 0xFFFFFFFF, R[2], R[3], R[4]
    if flags:
        return _neg(errno.EINVAL)
    if n > MAX_LOOPS:
        return _neg(errno.E2BIG)
    i = 0
    while i < n:
        rc = m.call_function(fn, (i, ctx))
        i += 1
        if rc & M64 == 1:
            break
        if rc & M64 != 0:
            raise VMFault(f"bpf_loop callback returned {rc:#x}; it must return 0 or 1")
    return i
