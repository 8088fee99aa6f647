"""Test helper: two network namespaces joined by a veth pair, removed afterwards.

Traffic stays inside the namespaces the test creates: ``a`` holds ``if_a``
(``ip_a``), ``b`` holds ``if_b`` (``ip_b``); nothing is configured in the
caller's namespace. Code that must run inside a namespace (attaching XDP/tcx to
an ifindex, creating a socket) runs in a short-lived thread that ``setns``-es
into it, so the test process itself never moves.

    def test_x(veth):
        sock = veth.socket("a", socket.AF_INET, socket.SOCK_DGRAM)
        sock.sendto(b"hi", (veth.ip_b, 9))

Use the ``veth`` fixture, or ``with veth_pair() as pair:``.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import itertools
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

CLONE_NEWNET = 0x40000000
_counter = itertools.count()
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
T = TypeVar("T")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True, timeout=10)


def setns(path: str) -> None:
    """Move the calling *thread* into the network namespace at ``path``."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


def run_in_netns(path: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` in a fresh thread moved into the namespace at ``path``; return
    its result (or raise its exception)."""
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            setns(path)
            box["value"] = fn(*args, **kwargs)
        except BaseException as e:  # handed back to the caller below
            box["error"] = e

    t = threading.Thread(target=worker, name="pybpf-netns")
    t.start()
    t.join(30)
    if "error" in box:
        raise box["error"]
    return box["value"]


@dataclass
class VethPair:
    """Two namespaces ``a`` and ``b`` joined by a veth pair (names and addresses)."""

    ns_a: str
    ns_b: str
    if_a: str
    if_b: str
    ip_a: str
    ip_b: str

    def ns_path(self, side: str) -> str:
        """``/run/netns/<name>`` of side "a" or "b"."""
        return f"/run/netns/{self.ns_a if side == 'a' else self.ns_b}"

    def run(self, side: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` inside namespace ``side`` (see `run_in_netns`)."""
        return run_in_netns(self.ns_path(side), fn, *args, **kwargs)

    def ifindex(self, side: str) -> int:
        """The ifindex of this side's veth end, inside its namespace."""
        name = self.if_a if side == "a" else self.if_b
        return self.run(side, socket.if_nametoindex, name)

    def socket(self, side: str, family: int = socket.AF_INET, type: int = socket.SOCK_DGRAM) -> socket.socket:
        """A socket created inside namespace ``side`` (usable from any thread)."""
        return self.run(side, socket.socket, family, type)

    def exec(self, side: str, *argv: str) -> subprocess.CompletedProcess[str]:
        """``ip netns exec <ns> argv...``."""
        ns = self.ns_a if side == "a" else self.ns_b
        return _ip("netns", "exec", ns, *argv)


@contextlib.contextmanager
def veth_pair() -> Iterator[VethPair]:
    """Create the namespaces and veth pair; delete them however the block ends."""
    n = next(_counter)
    tag = f"{os.getpid() % 100000}x{n}"
    pair = VethPair(f"pybpf-{tag}-a", f"pybpf-{tag}-b", f"pb{tag}a", f"pb{tag}b",
                    "10.250.0.1", "10.250.0.2")
    created: list[str] = []
    try:
        for ns in (pair.ns_a, pair.ns_b):
            _ip("netns", "add", ns)
            created.append(ns)
        _ip("link", "add", pair.if_a, "netns", pair.ns_a, "type", "veth", "peer", "name", pair.if_b,
            "netns", pair.ns_b)
        for ns, ifname, addr in ((pair.ns_a, pair.if_a, pair.ip_a), (pair.ns_b, pair.if_b, pair.ip_b)):
            _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", ifname)
            _ip("-n", ns, "link", "set", ifname, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        yield pair
    finally:
        for ns in created:
            _ip("netns", "del", ns, check=False)


@pytest.fixture
def veth() -> Iterator[VethPair]:
    """A `VethPair` for one test."""
    with veth_pair() as pair:
        yield pair
