"""BPF_BTF_LOAD: hand a BTF blob to the kernel and get a BTF object fd back.

The attribute layout is `pybpf.uapi.BTF_LOAD` (generated from
the running kernel's BTF). A failed load is retried with a log (level 1) so the raised
`KernelError` carries the kernel's BTF verifier log, which names the bad type id.

>>> from pybpf.btf.writer import BtfBuilder
>>> b = BtfBuilder(); _ = b.add_int("int", 4, 1)
>>> with load_btf(b.encode()) as h:          # doctest: +SKIP
...     h.fd > 0
True
"""
from __future__ import annotations

import errno

from ..errors import KernelError
from ..uapi import BTF_LOAD
from .fd import FD
from .syscall import Cmd, address, bpf, hint_for

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from ..btf.parse import Btf
    from .btf_features import probe_features

_LOG_START = 64 * 1024
_LOG_MAX = 16 * 1024 * 1024


class LoadedBtf(FD):
    """A BTF object in the kernel (its fd); ``log`` is the kernel's log when one was asked for."""

    _kind = "btf"

    def __init__(self, fd: int, *, log: str = "", btf: Btf | None = None) -> None:
        super().__init__(fd)
        self.log = log
        self.btf = btf


def _attempt(blob: bytes, log_level: int, log_size: int) -> tuple[int, int, str, int]:
    """(fd or -1, errno, log text, true log size)."""
    ba, keep_blob = address(blob)
    log = bytearray(log_size) if log_level else None
    la, keep_log = address(log) if log is not None else (0, None)
    attr = BTF_LOAD.new(btf=ba, btf_size=len(blob))
    if log is not None:
        BTF_LOAD.set(attr, btf_log_buf=la, btf_log_size=len(log), btf_log_level=log_level)
    try:
        fd = bpf(Cmd.BTF_LOAD, attr)
        err = 0
    except KernelError as e:
        fd, err = -1, e.errno
    del keep_blob, keep_log
    text = bytes(log).split(b"\0", 1)[0].decode(errors="replace") if log is not None else ""
    true_size = int(BTF_LOAD.get(attr, "btf_log_true_size"))
    return fd, err, text, true_size


def load_btf(data: bytes | Btf, *, log_level: int = 0, log_size: int = _LOG_START) -> LoadedBtf:
    """Load a BTF blob (or a `Btf`'s bytes) with BPF_BTF_LOAD; returns the owning `LoadedBtf`.

    On failure raises `KernelError` (command ``BPF_BTF_LOAD``) whose ``log`` is the
    kernel's BTF log (retried with level 1 if no log was requested; the buffer grows on
    ENOSPC up to 16 MiB).
    """
    parsed: Btf | None = None
    if isinstance(data, (bytes, bytearray, memoryview)):
        blob = bytes(data)
    else:
        from ..btf.parse import Btf  # lazy: loading a blob parses nothing (line info, start-up)

        parsed = data if isinstance(data, Btf) else None
        blob = parsed.data if parsed is not None else bytes(data)
    level = log_level
    size = log_size
    while True:
        fd, err, text, true_size = _attempt(blob, level, size)
        if fd >= 0:
            return LoadedBtf(fd, log=text, btf=parsed)
        if err == errno.ENOSPC and level and size < _LOG_MAX:
            size = min(max(size * 2, true_size), _LOG_MAX)
            continue
        if level == 0:
            level = 1
            continue
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        raise KernelError("BPF_BTF_LOAD", err, log=text, hint=hint_for(Cmd.BTF_LOAD, err),
                          detail=lines[-1] if lines else None)


def __getattr__(name: str) -> object:
    # probe_features (which BTF kinds the running kernel accepts) lives in
    # pybpf.kernel.btf_features: loading a blob needs neither it nor the BTF writer
    if name == "probe_features":
        from .btf_features import probe_features

        return probe_features
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
