"""Write eBPF probes as Python functions.

>>> from pybpf.dsl import HashMap, probe, pid, u32, u64
>>> counts = HashMap(u32, u64)
>>> @probe("tracepoint/raw_syscalls/sys_enter")
... def count(ctx):
...     counts[pid()] += 1

The probe's own source is compiled (``ast``), never run in Python. The subset:

- locals typed by annotation (``x: u32 = ...``; u8..u64, s8..s64, be16/be32, ``char[N]``,
  `Struct` subclasses) or by their first value; C integer promotions and conversions,
  ``+ - * // % & | ^ << >> ~``, comparisons (chained too), ``and``/``or``/``not``;
- ``if``/``elif``/``else``, ``return``, ``for i in range(N)`` (constant N: unrolled up
  to 16 iterations with ``i`` a constant, else a counted loop), ``while i < N`` with a
  counter the body changes, ``break``/``continue``; module-level int constants; module
  functions are inlined;
- maps (`HashMap`, `ArrayMap`, per-CPU, LRU, `RingBuf`, `PerfBuf`, `StackTrace`,
  `Histogram`): ``m[k] += n``, ``m[k] = v``, ``m.get(k, 0)``, ``p = m.lookup(k)`` then
  ``if p is None: return 0``, ``del m[k]``, ``events.output(e)``, ``hist.log2(v)``;
- the context by name: tracepoint fields from the format file (``ctx.filename``),
  ``ctx.args[i]`` for raw tracepoints, ``header(ctx, IpHdr, 14)`` in XDP
  (`pybpf.dsl.net`), kernel structs through BTF (``task().real_parent.tgid``);
- helpers by name: `pid`, `tid`, `pid_tgid`, `uid`, `ktime_ns`, `cpu`, `comm`,
  `send_signal`, ``buf = probe_read_user_str(ptr)`` and the other ``probe_read_*``, `log2`.

Anything else is a `DslError` at the Python line, with a caret; the compiled program is
checked by `pybpf.verifier` before load and a rejection is reported at the Python line
that produced the failing instruction. `Session` loads (with BTF line info), attaches,
reads events and detaches; ``pybpf probe FILE.py`` runs a probe file.

A one-line probe (`on`) is bpftrace's one-liner as a Python call, compiled the same way:
``on("tracepoint:raw_syscalls:sys_enter", at[comm].count())``.
"""

import sys

from .._deprecated import module_getattr
from .maps import (
    ArrayMap,
    Global,
    HashMap,
    Histogram,
    LruHashMap,
    PerCpuArrayMap,
    PerCpuHashMap,
    PerfBuf,
    RingBuf,
    StackTrace,
    format_histogram,
)
from .probe import Probe, Session, load_module, module_probes, probe
from .types import Struct, bool_, char, s8, s16, s32, s64, u8, u16, u32, u64

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from .automap import AutoMap, Maps
    from .compiler import compile_probe
    from .stubs import (
        XDP_ABORTED,
        XDP_DROP,
        XDP_PASS,
        XDP_TX,
        Pending,
        args,
        avg,
        boot_ns,
        bswap,
        buf,
        cat,
        cgroup,
        cgroup_id,
        clear,
        comm,
        count,
        cpu,
        curtask,
        delete,
        deref,
        elapsed,
        exit,
        func,
        gid,
        hist,
        join,
        kaddr,
        kptr,
        kstack,
        ksym,
        ktime_ns,
        lhist,
        log2,
        loop,
        nsecs,
        ntop,
        pid,
        pid_tgid,
        prandom,
        print_time,
        printf,
        probe_name,
        probe_read_kernel,
        probe_read_kernel_str,
        probe_read_user,
        probe_read_user_str,
        rand,
        retval,
        send_signal,
        stats,
        task,
        tid,
        uid,
        ustack,
        usym,
        zero,
    )
    from .subprogs import subprog

#: names imported on first use, by module: a probe kept by pybpf.dsl.cache loads without the
#: compiler, and a probe file's ``from pybpf.dsl import pid`` costs one module
_LAZY = {"AutoMap": "automap", "Maps": "automap", "compile_probe": "compiler",
         "subprog": "subprogs",
         **dict.fromkeys(('XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'Pending', 'args', 'avg', 'boot_ns', 'bswap', 'buf', 'cat', 'cgroup', 'cgroup_id', 'clear', 'comm', 'count', 'cpu', 'curtask', 'delete', 'deref', 'elapsed', 'exit', 'func', 'gid', 'hist', 'join', 'kaddr', 'kptr', 'kstack', 'ksym', 'ktime_ns', 'lhist', 'log2', 'loop', 'nsecs', 'ntop', 'pid', 'pid_tgid', 'prandom', 'print_time', 'printf', 'probe_name', 'probe_read_kernel', 'probe_read_kernel_str', 'probe_read_user', 'probe_read_user_str', 'rand', 'retval', 'send_signal', 'stats', 'task', 'tid', 'uid', 'ustack', 'usym', 'zero'), "stubs")}

__all__ = [
    "AutoMap", "Maps", "on", "args", "retval", "delete", "Pending", "avg", "cgroup", "clear", "count", "curtask", "elapsed", "exit", "func", "hist",
    "join", "kaddr", "ksym", "kstack", "lhist", "loop", "nsecs", "subprog", "kptr", "print_time", "printf", "probe_name",
    "rand", "stats", "usym", "ustack", "zero", "ntop", "buf", "bswap", "deref", "cat",
    "ArrayMap", "Global", "HashMap", "Histogram", "LruHashMap", "PerCpuArrayMap", "PerCpuHashMap", "PerfBuf",
    "Probe", "RingBuf", "Session", "StackTrace", "Struct", "XDP_ABORTED", "XDP_DROP", "XDP_PASS",
    "XDP_TX", "bool_", "boot_ns", "cgroup_id", "char", "comm", "compile_probe", "cpu",
    "format_histogram", "gid", "ktime_ns", "load_module", "log2", "module_probes", "pid",
    "pid_tgid", "prandom", "probe", "probe_read_kernel", "probe_read_kernel_str",
    "probe_read_user", "probe_read_user_str", "s8", "s16", "s32", "s64", "send_signal", "task",
    "tid", "u8", "u16", "u32", "u64", "uid",
]


#: ``pybpf.dsl.Map`` read like ``pybpf.Map`` (a map loaded in the kernel): renamed in 0.2
_deprecated_getattr = module_getattr(__name__, {"Map": ("pybpf.dsl.automap.AutoMap", "0.2")})


def __getattr__(name: str) -> object:
    """``from pybpf.dsl import at``: a new `Maps` namespace for the importing file, bpftrace's
    ``@`` maps without an ``at = Maps()`` line (each import gives its own, so two probe files
    in one process never share maps).

    >>> from pybpf.dsl import at
    >>> from pybpf.dsl import at as other
    >>> at is other, type(at).__name__
    (False, 'Maps')
    """
    if name == "at":
        from .automap import Maps

        return Maps()
    if name == "on":  # (imported when used: start-up of pybpf trace)
        from .onprobe import on

        return on
    if name == "print":  # an on() file's print(at.m): Python's own would print at import
        from .stubs import print as print_stub

        return print_stub
    if name == "Map":
        return _deprecated_getattr(name)
    module = _LAZY.get(name)
    if module is not None:
        __import__(f"{__name__}.{module}")  # (not importlib's: start-up)
        value = getattr(sys.modules[f"{__name__}.{module}"], name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
