"""BPF iterators: a tracing program run over kernel objects, read like a file.

The program is loaded with `pybpf.kernel.link.tracing.load(program, "iter",
"task")`; `iterator` makes its link and `IterLink.read` runs one full pass
(BPF_ITER_CREATE, then reading the fd to the end).

>>> with iterator(prog) as it:          # doctest: +SKIP
...     data = it.read()
"""
from __future__ import annotations

import errno
import os

from ...errors import KernelError
from ..syscall import Cmd
from . import _attr
from ._attr import AttachType
from .base import HasFd, Link, kernel_call, prog_fd

__all__ = ["IterLink", "iterator"]


class IterLink(Link):
    """An iterator link: every `read` is a fresh pass over the objects."""

    def read(self, limit: int = 64 << 20) -> bytes:
        """Run the iterator once and return everything the program wrote (up to ``limit`` bytes)."""
        fd = kernel_call(self.kind, Cmd.ITER_CREATE, _attr.iter_create(self.fd), target=self.target)
        chunks, total = [], 0
        try:
            while total < limit:
                try:
                    chunk = os.read(fd, 1 << 16)
                except OSError as e:
                    raise KernelError("read (iter)", e.errno or errno.EIO,
                                      hint="the iterator program failed while running",
                                      detail=self.target) from None
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        finally:
            os.close(fd)
        return b"".join(chunks)


def iterator(prog: HasFd | int) -> IterLink:
    """Make the link of a loaded iterator program (BPF_LINK_CREATE, BPF_TRACE_ITER)."""
    label = getattr(prog, "name", "") or "iter"
    attr = _attr.link_create(prog_fd(prog), 0, AttachType.TRACE_ITER)
    fd = kernel_call("iter", Cmd.LINK_CREATE, attr, target=label, hints={
        errno.EINVAL: "the program must be loaded as an iterator (tracing, expected attach type "
                      "BPF_TRACE_ITER, attach_btf_id of bpf_iter_<target>)",
    })
    return IterLink(fd, kind="iter", target=label)
