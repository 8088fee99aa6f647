"""Find or mount the kernel's pseudo file systems: bpffs, tracefs, cgroup v2.

pybpf needs bpffs to pin objects and tracefs to read tracepoint ids and
formats. Neither is mounted on a fresh machine, so these functions look for an
existing mount in ``/proc/self/mounts`` and, failing that, mount one at the
conventional place (this needs root). When that is impossible they raise
`MountError` with the exact command to run.

>>> from pybpf.kernel.fs import ensure_bpffs, ensure_tracefs   # doctest: +SKIP
>>> ensure_bpffs()                                             # doctest: +SKIP
'/sys/fs/bpf'
>>> ensure_tracefs()                                           # doctest: +SKIP
'/sys/kernel/tracing'
"""
from __future__ import annotations

import os
from _thread import allocate_lock  # (threading's Lock, without importing threading)

from .._record import record
from .. import errors  # errors.MountError: defined at its first use (pybpf._errors_more)

__all__ = ["Mount", "mounts", "find_mount", "ensure_bpffs", "ensure_tracefs", "cgroup2_root",
           "BPFFS_PATH", "TRACEFS_PATH"]

#: Where pybpf mounts bpffs when none is mounted.
BPFFS_PATH = "/sys/fs/bpf"
#: Where pybpf mounts tracefs when none is mounted.
TRACEFS_PATH = "/sys/kernel/tracing"

_MOUNTS_FILE = "/proc/self/mounts"
_lock = allocate_lock()


@record(frozen=True)
class Mount:
    """One line of ``/proc/self/mounts``."""

    source: str
    target: str
    fstype: str
    options: tuple[str, ...]


def _unescape(field: str) -> str:
    """Undo the octal escapes (``\\040`` for a space) the kernel writes in mounts."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 4 <= len(field) and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mounts(text: str) -> list[Mount]:
    """Parse the text of ``/proc/self/mounts`` (pure; used by `mounts`).

    >>> parse_mounts("bpf /sys/fs/bpf bpf rw,relatime 0 0\\n")[0].fstype
    'bpf'
    """
    result = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        result.append(Mount(_unescape(parts[0]), _unescape(parts[1]), parts[2],
                            tuple(parts[3].split(","))))
    return result


def mounts() -> list[Mount]:
    """The current mount table of this process."""
    with open(_MOUNTS_FILE) as f:
        return parse_mounts(f.read())


def find_mount(fstype: str) -> str | None:
    """The target of the first mount of ``fstype`` that is a directory, or None.

    A read-write mount is preferred to a read-only one.
    """
    found = [m for m in mounts() if m.fstype == fstype and os.path.isdir(m.target)]
    found.sort(key=lambda m: "ro" in m.options)
    return found[0].target if found else None


def _mount(source: str, target: str, fstype: str) -> None:
    # lazy: ctypes.util imports subprocess, shutil and tempfile, and only a missing mount
    # needs it (pybpf's start-up is part of every probe's cost)
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                           ctypes.c_void_p]
    if libc.mount(source.encode(), target.encode(), fstype.encode(), 0, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _ensure(fstype: str, target: str, what: str) -> str:
    with _lock:
        existing = find_mount(fstype)
        if existing is not None:
            return existing
        command = f"mount -t {fstype} {fstype if fstype != 'bpf' else 'bpffs'} {target}"
        if os.geteuid() != 0:
            raise errors.MountError(f"{what} is not mounted and mounting it needs root: run `sudo {command}`")
        try:
            os.makedirs(target, exist_ok=True)
            _mount(fstype if fstype != "bpf" else "bpffs", target, fstype)
        except OSError as e:
            raise errors.MountError(f"{what} is not mounted and mounting it at {target} failed "
                             f"({os.strerror(e.errno or 0)}): run `{command}`") from e
        return target


def ensure_bpffs() -> str:
    """Return the path of a mounted bpffs, mounting it at /sys/fs/bpf if needed.

    Raises `MountError` (with the command to run) when it is absent and cannot be mounted.

    >>> ensure_bpffs()      # doctest: +SKIP
    '/sys/fs/bpf'
    """
    return _ensure("bpf", BPFFS_PATH, "bpffs")


def ensure_tracefs() -> str:
    """Return the path of a mounted tracefs, mounting it at /sys/kernel/tracing if needed.

    A tracefs reachable only through a mounted debugfs (``/sys/kernel/debug/tracing``)
    is used as well.

    >>> ensure_tracefs()    # doctest: +SKIP
    '/sys/kernel/tracing'
    """
    with _lock:
        found = find_mount("tracefs")  # (once: _ensure would read the mount table again)
        if found is not None:
            return found
        debugfs = find_mount("debugfs")
        if debugfs and os.path.isfile(os.path.join(debugfs, "tracing", "available_events")):
            return os.path.join(debugfs, "tracing")
    return _ensure("tracefs", TRACEFS_PATH, "tracefs")


def cgroup2_root() -> str:
    """Return the mount point of the cgroup v2 hierarchy (it is never mounted by pybpf).

    >>> cgroup2_root()      # doctest: +SKIP
    '/sys/fs/cgroup'
    """
    found = find_mount("cgroup2")
    if found is None:
        raise errors.MountError("no cgroup v2 hierarchy is mounted: run `mount -t cgroup2 none /sys/fs/cgroup` "
                         "(or on a hybrid system `mount -t cgroup2 none /sys/fs/cgroup/unified`)")
    return found
