"""perf_event_open(2) for BPF: tracepoint, uprobe and software (CPU clock) events.

BPF programs of type tracepoint, kprobe/uprobe and perf_event run when a perf
event fires; the link modules open the event here and hand its fd to
BPF_LINK_CREATE. `PerfEventAttr` builds ``struct perf_event_attr`` (pybpf's
own layout, 128 bytes = PERF_ATTR_SIZE_VER7).

>>> attr = PerfEventAttr(type=PERF_TYPE_SOFTWARE, config=PERF_COUNT_SW_CPU_CLOCK,
...                      sample_period=100_000)
>>> len(attr.pack()), attr.pack()[:4]
(128, b'\\x01\\x00\\x00\\x00')
>>> fd = perf_event_open(attr, pid=-1, cpu=0)    # doctest: +SKIP
"""
from __future__ import annotations

import errno
import os
import struct

from ..._record import record
from ...errors import KernelError

__all__ = ["PerfEventAttr", "perf_event_open", "perf_ioctl", "uprobe_pmu_type", "kprobe_pmu_type",
           "pmu_type", "retprobe_bit",
           "PERF_TYPE_HARDWARE", "PERF_TYPE_SOFTWARE", "PERF_TYPE_TRACEPOINT",
           "PERF_COUNT_SW_CPU_CLOCK", "PERF_COUNT_SW_BPF_OUTPUT", "PERF_SAMPLE_RAW",
           "PERF_EVENT_IOC_ENABLE", "PERF_EVENT_IOC_DISABLE", "PERF_EVENT_IOC_SET_BPF"]

PERF_TYPE_HARDWARE = 0
PERF_TYPE_SOFTWARE = 1
PERF_TYPE_TRACEPOINT = 2
PERF_COUNT_SW_CPU_CLOCK = 0
PERF_COUNT_SW_BPF_OUTPUT = 10
PERF_SAMPLE_RAW = 1 << 10
PERF_FLAG_FD_CLOEXEC = 1 << 3

# _IO('$', 0), _IO('$', 1), _IOW('$', 8, __u32)
PERF_EVENT_IOC_ENABLE = 0x2400
PERF_EVENT_IOC_DISABLE = 0x2401
PERF_EVENT_IOC_SET_BPF = 0x40042408

_ATTR_SIZE = 128
# bits of the flags word at offset 40
_BIT_DISABLED = 0
_BIT_FREQ = 10

_PMU_DIR = "/sys/bus/event_source/devices"


@record()
class PerfEventAttr:
    """The fields of ``struct perf_event_attr`` pybpf uses.

    ``sample_period`` doubles as ``sample_freq`` when ``freq`` is True;
    ``config1``/``config2`` carry the uprobe path pointer and file offset.
    """

    type: int
    config: int = 0
    sample_period: int = 0
    sample_type: int = 0
    freq: bool = False
    disabled: bool = False
    wakeup_events: int = 0
    config1: int = 0
    config2: int = 0

    def pack(self) -> bytes:
        flags = (int(self.disabled) << _BIT_DISABLED) | (int(self.freq) << _BIT_FREQ)
        head = struct.pack("<IIQQQQQII QQ", self.type, _ATTR_SIZE, self.config, self.sample_period,
                           self.sample_type, 0, flags, self.wakeup_events, 0, self.config1,
                           self.config2)
        return head + bytes(_ATTR_SIZE - len(head))


def perf_event_open(attr: PerfEventAttr, *, pid: int = -1, cpu: int = 0, group_fd: int = -1,
                    what: str = "perf event") -> int:
    """Open a perf event and return its fd (close-on-exec).

    ``pid=-1, cpu=N`` counts every process on CPU N; ``pid=P, cpu=-1`` one process
    on every CPU. Raises `KernelError` naming ``what`` on failure.
    """
    from ..._native import ffi, lib  # lazy: the compiled module loads on first syscall

    buf = ffi.new("char[]", attr.pack())
    err = ffi.new("int *")
    fd = lib.pybpf_perf_event_open(buf, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC, err)
    if fd < 0:
        hint = None
        if err[0] == errno.ENOENT:
            hint = f"the kernel has no such event ({what})"
        elif err[0] == errno.EACCES or err[0] == errno.EPERM:
            hint = f"not allowed to open {what}: needs root/CAP_PERFMON " \
                   "(see /proc/sys/kernel/perf_event_paranoid)"
        elif err[0] == errno.ENODEV:
            hint = f"no such CPU or PMU for {what}"
        raise KernelError("perf_event_open", err[0], hint=hint, detail=what)
    return int(fd)


def perf_ioctl(fd: int, request: int, arg: int = 0, *, what: str = "perf event") -> None:
    """ioctl on a perf event fd (ENABLE, DISABLE, SET_BPF), raising `KernelError`."""
    from ..._native import ffi, lib  # lazy: the compiled module loads on first syscall

    err = ffi.new("int *")
    if lib.pybpf_ioctl(fd, request, arg, err) < 0:
        raise KernelError(f"ioctl({request:#x})", err[0], detail=what)


def uprobe_pmu_type() -> int:
    """The dynamic PMU type of uprobes (``/sys/bus/event_source/devices/uprobe/type``)."""
    return pmu_type("uprobe")


def kprobe_pmu_type() -> int:
    """The dynamic PMU type of kprobes (``/sys/bus/event_source/devices/kprobe/type``)."""
    return pmu_type("kprobe")


def retprobe_bit(pmu: str = "uprobe") -> int:
    """The config bit that makes a probe a return probe (``format/retprobe``: "config:0")."""
    path = os.path.join(_PMU_DIR, pmu, "format", "retprobe")
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError as e:
        raise KernelError(f"perf_event_open ({pmu})", e.errno or errno.ENOENT,
                          hint=f"this kernel has no {pmu} return probes ({path} missing)") from e
    return int(text.partition(":")[2])


def pmu_type(pmu: str) -> int:
    """The type number of a dynamic PMU; `KernelError` (ENOENT) naming it when the kernel has none."""
    path = os.path.join(_PMU_DIR, pmu, "type")
    try:
        with open(path) as f:
            return int(f.read().strip())
    except OSError as e:
        raise KernelError(f"perf_event_open ({pmu})", e.errno or errno.ENOENT,
                          hint=f"this kernel has no {pmu} PMU ({path} missing: built without "
                          f"CONFIG_{pmu.upper()}S / CONFIG_{pmu.upper()}_EVENTS)") from e
