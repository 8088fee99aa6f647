"""The one door to the bpf() syscall.

`bpf(cmd, attr)` passes a mutable attribute buffer to the kernel and returns
the result, raising `KernelError` (command name, errno, hint) on failure. The
function actually called is `_sys_bpf`, a seam that tests may replace with a
fake to drive error paths (ENOSPC, EPERM, EINTR) deterministically.

>>> from pybpf.kernel.syscall import Cmd
>>> Cmd.MAP_CREATE
<Cmd.MAP_CREATE: 0>
"""
from __future__ import annotations

import enum
import errno
from collections.abc import Callable

from ..errors import KernelError


class Cmd(enum.IntEnum):
    """bpf() commands (``enum bpf_cmd``)."""

    MAP_CREATE = 0
    MAP_LOOKUP_ELEM = 1
    MAP_UPDATE_ELEM = 2
    MAP_DELETE_ELEM = 3
    MAP_GET_NEXT_KEY = 4
    PROG_LOAD = 5
    OBJ_PIN = 6
    OBJ_GET = 7
    PROG_ATTACH = 8
    PROG_DETACH = 9
    PROG_TEST_RUN = 10
    PROG_GET_NEXT_ID = 11
    MAP_GET_NEXT_ID = 12
    PROG_GET_FD_BY_ID = 13
    MAP_GET_FD_BY_ID = 14
    OBJ_GET_INFO_BY_FD = 15
    PROG_QUERY = 16
    RAW_TRACEPOINT_OPEN = 17
    BTF_LOAD = 18
    BTF_GET_FD_BY_ID = 19
    TASK_FD_QUERY = 20
    MAP_LOOKUP_AND_DELETE_ELEM = 21
    MAP_FREEZE = 22
    BTF_GET_NEXT_ID = 23
    MAP_LOOKUP_BATCH = 24
    MAP_LOOKUP_AND_DELETE_BATCH = 25
    MAP_UPDATE_BATCH = 26
    MAP_DELETE_BATCH = 27
    LINK_CREATE = 28
    LINK_UPDATE = 29
    LINK_GET_FD_BY_ID = 30
    LINK_GET_NEXT_ID = 31
    ENABLE_STATS = 32
    ITER_CREATE = 33
    LINK_DETACH = 34
    PROG_BIND_MAP = 35
    TOKEN_CREATE = 36


def _native_bpf(cmd: int, attr: bytearray) -> tuple[int, int]:
    from .._native import ffi, lib

    err = ffi.new("int *")
    buf = ffi.from_buffer(attr)
    ret = lib.pybpf_sys_bpf(cmd, buf, len(attr), err)
    return ret, err[0]


#: The seam: ``(cmd, attr) -> (return value, errno)``. Tests may swap it.
_sys_bpf: Callable[[int, bytearray], tuple[int, int]] = _native_bpf


def bpf(cmd: Cmd | int, attr: bytearray, *, retry_eintr: bool = True) -> int:
    """Call bpf(cmd, attr, len(attr)); return its result or raise `KernelError`.

    ``attr`` is modified in place by commands that write back (ids, counts...).
    EINTR and EAGAIN on PROG_LOAD are retried, as libbpf does.
    """
    while True:
        ret, err = _sys_bpf(int(cmd), attr)
        if ret >= 0:
            return ret
        if retry_eintr and (err == errno.EINTR or (err == errno.EAGAIN and cmd == Cmd.PROG_LOAD)):
            continue
        name = Cmd(cmd).name if cmd in Cmd._value2member_map_ else str(int(cmd))
        raise KernelError(f"BPF_{name}", err)
