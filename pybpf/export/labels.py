"""Map keys as Prometheus label values: one decoder per kind of key part.

A key is cut into parts (the fields of a struct key, or the whole scalar key); each part
becomes one label (a ``pid`` part two: ``pid`` and ``process``, the name the pid has
now). Decoders read the part's raw bytes, so byte order is the one the kernel wrote:
an IPv4 address in a ``u32`` or ``u8[4]`` is in network order in memory, a ``be16`` port
is big-endian, a plain ``u16`` port is host order.

>>> d = decoder("ipv4", None)
>>> d.fn(bytes([10, 0, 0, 1]))
('10.0.0.1',)
>>> decoder("port", None).fn((8080).to_bytes(2, "little"))
('8080',)
>>> from pybpf.dsl.types import char, u32
>>> infer("daddr", None, 16), infer("dport", None, 2), infer("comm", char[16], 16), infer("pid", u32, 4)
('ipv6', 'port', 'string', 'pid')
"""

from __future__ import annotations

import bisect
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Decoder", "decoder", "infer", "process_name", "cgroup_path", "ksym_name"]


@dataclass(frozen=True)
class Decoder:
    """``fn(raw) -> label values``; ``extra`` names labels it adds after the part's own;
    ``pure`` says the same bytes always give the same values (so they may be cached for
    good; impure ones, like pid -> process name, are re-read now and then)."""

    kind: str
    fn: Callable[[bytes], tuple[str, ...]]
    extra: tuple[str, ...] = ()
    pure: bool = True


def _int_of(typ: Any, size: int) -> Callable[[bytes], int]:
    big = bool(getattr(typ, "big", False))
    signed = bool(getattr(typ, "signed", False))

    def conv(raw: bytes) -> int:
        return int.from_bytes(raw[:size], "big" if big else "little", signed=signed)
    return conv


def decoder(kind: str, typ: Any, size: int | None = None) -> Decoder:
    """The decoder ``kind`` (one of `pybpf.export.spec.DECODERS`) for a key part of DSL
    type ``typ`` (None: raw bytes of ``size``)."""
    size = size if size is not None else getattr(typ, "size", 8)
    as_int = _int_of(typ, size)
    if kind in ("string", "comm"):
        return Decoder(kind, lambda raw: (bytes(raw).split(b"\0", 1)[0].decode("utf-8", "replace"),))
    if kind == "ipv4":
        return Decoder(kind, lambda raw: (socket.inet_ntop(socket.AF_INET, bytes(raw[:4])),))
    if kind == "ipv6":
        return Decoder(kind, lambda raw: (socket.inet_ntop(socket.AF_INET6, bytes(raw[:16])),))
    if kind == "port":  # a be16 field reads big-endian through as_int, a u16 host order
        return Decoder(kind, lambda raw: (str(as_int(raw)),))
    if kind == "hex":
        return Decoder(kind, lambda raw: (hex(as_int(raw)),))
    if kind == "bool":
        return Decoder(kind, lambda raw: ("true" if any(raw) else "false",))
    if kind == "pid":
        def pid(raw: bytes) -> tuple[str, ...]:
            n = as_int(raw)
            return str(n), process_name(n)
        return Decoder(kind, pid, extra=("process",), pure=False)
    if kind == "cgroup":
        return Decoder(kind, lambda raw: (cgroup_path(as_int(raw)),), pure=False)
    if kind == "ksym":
        return Decoder(kind, lambda raw: (ksym_name(as_int(raw)),))
    return Decoder("int", lambda raw: (str(as_int(raw)),))


_PID_NAMES = ("pid", "tgid", "tid")
_CGROUP_NAMES = ("cgroup", "cgroup_id", "cgid", "cgrp", "cgroupid")
_KSYM_NAMES = ("ksym", "func", "kfunc", "ip", "pc", "caller")


def infer(name: str, typ: Any, size: int) -> str:
    """The decoder a key part gets by default, from its name and type: ``pid``/``tgid``
    -> pid (with the process name), ``*addr*``/``ip4``/``ip6`` of 4 or 16 bytes ->
    IPv4/IPv6, ``*port`` -> port, ``cgroup*`` -> cgroup path, ``ip``/``func`` of 8 bytes
    -> kernel symbol, char arrays -> string, other integers -> decimal."""
    low = name.lower()
    elem = getattr(typ, "elem", None)
    if elem is not None and getattr(elem, "name", "") == "char":
        return "string"
    if ("addr" in low or low in ("ip4", "ip6", "src", "dst")) and size in (4, 16):
        return "ipv4" if size == 4 else "ipv6"
    if low.endswith("port") and size == 2:
        return "port"
    if low in _PID_NAMES and size in (4, 8):
        return "pid"
    if low in _CGROUP_NAMES and size == 8:
        return "cgroup"
    if low in _KSYM_NAMES and size == 8:
        return "ksym"
    if getattr(typ, "name", "") == "bool":
        return "bool"
    if elem is not None or typ is None and size not in (1, 2, 4, 8):
        return "hex"
    return "int"


# -- lookups behind the impure decoders: cached, refreshed on a miss at most every few seconds
_REFRESH_S = 5.0
_proc_cache: dict[int, tuple[float, str]] = {}


def process_name(pid: int) -> str:
    """The command name of ``pid`` now (``/proc/PID/comm``), "" once it has exited."""
    now = time.monotonic()
    hit = _proc_cache.get(pid)
    if hit is not None and now - hit[0] < _REFRESH_S:
        return hit[1]
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            name = f.read().rstrip(b"\n").decode("utf-8", "replace")
    except OSError:
        name = ""
    if len(_proc_cache) > 65536:
        _proc_cache.clear()
    _proc_cache[pid] = (now, name)
    return name


#: where the cgroup v2 tree is read from: a container mounts the node's at /host/sys/fs/cgroup
#: and says so in PYBPF_CGROUP_ROOT (its own /sys/fs/cgroup is its cgroup namespace)
_CGROUP_ROOT = os.environ.get("PYBPF_CGROUP_ROOT", "/sys/fs/cgroup")
_cgroups: dict[int, str] = {}
_cgroups_read = [0.0]


def _scan_cgroups(root: str) -> dict[int, str]:
    out: dict[int, str] = {}
    try:
        out[os.stat(root).st_ino] = "/"
    except OSError:
        return out
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            with os.scandir(d) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False):
                        out[e.inode()] = "/" + os.path.relpath(e.path, root)
                        stack.append(e.path)
        except OSError:
            continue
    return out


def cgroup_path(cgroup_id: int, root: str = _CGROUP_ROOT) -> str:
    """The cgroup v2 path of ``cgroup_id`` (``bpf_get_current_cgroup_id()``: the inode
    number of the cgroup's directory), or the id in decimal when no such cgroup exists."""
    path = _cgroups.get(cgroup_id)
    if path is None and time.monotonic() - _cgroups_read[0] > _REFRESH_S:
        _cgroups.clear()
        _cgroups.update(_scan_cgroups(root))
        _cgroups_read[0] = time.monotonic()
        path = _cgroups.get(cgroup_id)
    return path if path is not None else str(cgroup_id)


_ksyms: tuple[list[int], list[str]] | None = None


def _read_kallsyms(path: str = "/proc/kallsyms") -> tuple[list[int], list[str]]:
    rows: list[tuple[int, str]] = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[1] in "tTwW":
                    addr = int(parts[0], 16)
                    if addr:
                        rows.append((addr, parts[2]))
    except OSError:
        pass
    rows.sort()
    return [a for a, _ in rows], [n for _, n in rows]


def ksym_name(addr: int) -> str:
    """The kernel function holding ``addr`` (``/proc/kallsyms``, readable as root), else hex."""
    global _ksyms
    if _ksyms is None:
        _ksyms = _read_kallsyms()
    addrs, names = _ksyms
    i = bisect.bisect_right(addrs, addr) - 1
    return names[i] if i >= 0 else hex(addr)
