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

import errno

from .. import errors  # errors.KernelUnavailable: defined at its first use (pybpf._errors_more)
from ..errors import KernelError

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from enum import IntEnum
    from typing import Any

    from ..errors import KernelUnavailable
else:  # enum's classes build slowly: pybpf's own (see pybpf._enum)
    from .._enum import IntEnum


class Cmd(IntEnum):
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


def _native() -> Any:
    global _NATIVE
    if _NATIVE is None:
        try:
            from .. import _native as mod
        except ImportError as exc:
            raise native_missing(exc) from None
        _NATIVE = mod
    return _NATIVE


def native_missing(exc: ImportError) -> KernelUnavailable:
    """The error for a pybpf whose compiled module ``pybpf._native`` is absent."""
    return errors.KernelUnavailable(
        f"pybpf._native, the compiled side of pybpf.kernel, cannot be imported ({exc}): "
        "install pybpf from its wheel (it carries the module), or with a C compiler "
        "(pip install .); assembling, verifying and the VM work without it")


_NATIVE: Any = None


def _native_bpf(cmd: int, attr: bytearray) -> tuple[int, int]:
    n = _native()
    err = n.ffi.new("int *")
    buf = n.ffi.from_buffer(attr)
    ret = n.lib.pybpf_sys_bpf(cmd, buf, len(attr), err)
    return ret, err[0]


#: The seam: ``(cmd, attr) -> (return value, errno)``. Tests may swap it.
_sys_bpf: Callable[[int, bytearray], tuple[int, int]] = _native_bpf


#: Hints for (command, errno) pairs, more specific than the generic errno hint.
_E = errno
HINTS: dict[tuple[int, int], str] = {
    (Cmd.MAP_CREATE, _E.EINVAL): "the kernel refused this map's shape: check key_size/value_size/"
    "max_entries/map_flags for this map type (arrays need 4-byte keys; ringbuf needs key/value 0 and "
    "max_entries a power-of-2 multiple of the page size; map-in-map needs an inner map)",
    (Cmd.MAP_CREATE, _E.EPERM): "map creation needs CAP_BPF (root), or this map type needs more "
    "(CAP_SYS_ADMIN/CAP_NET_ADMIN)",
    (Cmd.MAP_CREATE, _E.E2BIG): "max_entries or value_size is larger than this map type allows",
    (Cmd.MAP_LOOKUP_ELEM, _E.ENOENT): "no such key in the map",
    (Cmd.MAP_LOOKUP_ELEM, _E.EINVAL): "wrong flags for lookup, or this map type has no lookup from "
    "user space",
    (Cmd.MAP_UPDATE_ELEM, _E.E2BIG): "the map is full (max_entries reached) or the index is out of range",
    (Cmd.MAP_UPDATE_ELEM, _E.EEXIST): "the key already exists and BPF_NOEXIST was given",
    (Cmd.MAP_UPDATE_ELEM, _E.ENOENT): "the key does not exist and BPF_EXIST was given",
    (Cmd.MAP_UPDATE_ELEM, _E.EPERM): "the map is frozen or read-only from user space (BPF_F_RDONLY)",
    (Cmd.MAP_UPDATE_ELEM, _E.EINVAL): "wrong update flags, or a value this map type does not "
    "accept (e.g. an fd of the wrong kind for a map-in-map or prog array)",
    (Cmd.MAP_UPDATE_ELEM, _E.EBADF): "the value must be an fd of a live map/program/socket",
    (Cmd.MAP_DELETE_ELEM, _E.ENOENT): "no such key in the map",
    (Cmd.MAP_DELETE_ELEM, _E.EINVAL): "this map type does not support delete (arrays cannot delete)",
    (Cmd.MAP_DELETE_ELEM, _E.EPERM): "the map is frozen or read-only from user space",
    (Cmd.MAP_LOOKUP_AND_DELETE_ELEM, _E.ENOENT): "the queue/stack/map is empty or has no such key",
    (Cmd.MAP_FREEZE, _E.EBUSY): "the map is already frozen or has a writable mmap",
    (Cmd.MAP_LOOKUP_BATCH, _E.EINVAL): "this map type does not support batch operations, or count is 0",
    (Cmd.MAP_UPDATE_BATCH, _E.EINVAL): "this map type does not support batch operations, or count is 0",
    (Cmd.MAP_DELETE_BATCH, _E.EINVAL): "this map type does not support batch operations, or count is 0",
    (Cmd.PROG_LOAD, _E.EACCES): "the kernel verifier rejected the program (see its log)",
    (Cmd.PROG_LOAD, _E.EINVAL): "the kernel rejected the program or a load field (see its log): "
    "bad instruction, program type, expected_attach_type or attach_btf_id",
    (Cmd.PROG_LOAD, _E.EPERM): "loading needs CAP_BPF/CAP_SYS_ADMIN (root), or this kernel refuses "
    "this program type or attach target (fentry/fexit/LSM/ext are refused on some kernels)",
    (Cmd.PROG_LOAD, _E.E2BIG): "the program is too large (instruction count) for this kernel",
    (Cmd.PROG_LOAD, _E.ENOSPC): "the verifier log buffer is too small",
    (Cmd.PROG_TEST_RUN, _E.ENOTSUPP if hasattr(_E, "ENOTSUPP") else 524): "this program type does "
    "not support BPF_PROG_TEST_RUN",
    (Cmd.PROG_TEST_RUN, _E.EINVAL): "data/ctx size or flags not accepted for this program type "
    "(e.g. packet programs need data of at least an Ethernet header)",
    (Cmd.PROG_TEST_RUN, _E.ENOSPC): "data_size_out/ctx_size_out is smaller than the output",
    (Cmd.OBJ_PIN, _E.EEXIST): "the pin path already exists",
    (Cmd.OBJ_PIN, _E.EPERM): "the pin path is not inside a bpffs mount",
    (Cmd.OBJ_PIN, _E.ENOENT): "the parent directory of the pin path does not exist",
    (Cmd.OBJ_GET, _E.ENOENT): "nothing is pinned at this path",
    (Cmd.OBJ_GET, _E.EINVAL): "the path is not a pinned object of the expected kind",
    (Cmd.MAP_GET_FD_BY_ID, _E.ENOENT): "no map has this id (it was freed)",
    (Cmd.PROG_GET_FD_BY_ID, _E.ENOENT): "no program has this id (it was freed)",
    (Cmd.BTF_LOAD, _E.EINVAL): "the kernel rejected the BTF blob (see its log)",
}


def hint_for(cmd: int, err: int) -> str | None:
    """The specific hint for ``(cmd, errno)``, or None (then the generic errno hint applies)."""
    return HINTS.get((int(cmd), err))


def command_name(cmd: int) -> str:
    """``"BPF_MAP_CREATE"`` for ``Cmd.MAP_CREATE``."""
    return f"BPF_{Cmd(cmd).name}" if cmd in Cmd._value2member_map_ else f"bpf cmd {int(cmd)}"


def bpf(cmd: Cmd | int, attr: bytearray, *, retry_eintr: bool = True, detail: str | None = None,
        hint: str | None = None) -> int:
    """Call bpf(cmd, attr, len(attr)); return its result or raise `KernelError`.

    ``attr`` is modified in place by commands that write back (ids, counts...).
    EINTR (and EAGAIN on PROG_LOAD) is retried, as libbpf does. ``detail``
    (e.g. the map's name) is appended to the error message; ``hint`` overrides
    the (command, errno) hint.
    """
    while True:
        ret, err = _sys_bpf(int(cmd), attr)
        if ret >= 0:
            return ret
        if retry_eintr and (err == errno.EINTR or (err == errno.EAGAIN and cmd == Cmd.PROG_LOAD)):
            continue
        raise KernelError(command_name(cmd), err, hint=hint or hint_for(cmd, err), detail=detail)


def address(buf: Any) -> tuple[int, Any]:
    """The address of a buffer (bytes, bytearray, memoryview, array, numpy array) and a
    keep-alive object that must be held while the kernel may use the address.

    An empty buffer has address 0. Internal to pybpf.kernel: no raw address is ever
    returned to users.
    """
    if buf is None or len(buf) == 0:
        return 0, None
    ffi = _native().ffi
    c = ffi.from_buffer(buf)
    return int(ffi.cast("uintptr_t", c)), c


class PreparedAttr:
    """A reusable attribute buffer for hot paths (map element operations).

    ``buf`` is filled once (pointers to long-lived scratch buffers included) and
    `call` passes it to the kernel without re-encoding; ``size`` may be shorter
    than the buffer for commands whose trailing fields must look zero to the
    kernel. The `_sys_bpf` seam is honoured: a replaced seam sees a copy of the
    first ``size`` bytes.
    """

    __slots__ = ("buf", "_c", "_err")

    def __init__(self, size: int) -> None:
        n = _native()
        self.buf = bytearray(size)
        self._c = n.ffi.from_buffer(self.buf)
        self._err = n.ffi.new("int *")

    def call(self, cmd: int, size: int | None = None) -> tuple[int, int]:
        """``(result, errno)`` of bpf(cmd, buf, size); EINTR is retried."""
        size = len(self.buf) if size is None else size
        if _sys_bpf is _native_bpf:
            sys_bpf = _NATIVE.lib.pybpf_sys_bpf
            while True:
                ret = sys_bpf(cmd, self._c, size, self._err)
                if ret >= 0:
                    return ret, 0
                err = self._err[0]
                if err != errno.EINTR:
                    return ret, err
        while True:
            part = bytearray(self.buf[:size])
            ret, err = _sys_bpf(cmd, part)
            self.buf[:size] = part
            if ret >= 0 or err != errno.EINTR:
                return ret, err

    def fail(self, cmd: int, err: int, detail: str | None = None) -> KernelError:
        """The KernelError for a failed `call`."""
        return KernelError(command_name(cmd), err, hint=hint_for(cmd, err), detail=detail)
