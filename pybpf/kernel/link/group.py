"""`LinkGroup`: several links made by one call (a perf event link per CPU), handled as one.

`pybpf.kernel.link.base` gives this name too (made at its first use there).
"""
from __future__ import annotations

import os

TYPE_CHECKING = False  # (not typing's: no typing import for this module)
if TYPE_CHECKING:
    from collections.abc import Iterator

    from .base import HasFd, Link
    from .info import LinkInfo

__all__ = ["LinkGroup"]


class LinkGroup:
    """Several links made by one call (one per CPU for perf events), handled as one.

    Iterating yields the `Link` objects; ``close``/``detach``/``update`` act on all;
    ``pin(directory)`` pins each as ``directory/<index>``.
    """

    def __init__(self, links: list[Link], *, kind: str, target: str = "") -> None:
        self.links = links
        self.kind = kind
        self.target = target

    def __iter__(self) -> Iterator[Link]:
        return iter(self.links)

    def __len__(self) -> int:
        return len(self.links)

    def __enter__(self) -> LinkGroup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<LinkGroup {self.kind} {self.target} x{len(self.links)}>"

    @property
    def closed(self) -> bool:
        return all(lk.closed for lk in self.links)

    def close(self) -> None:
        """Close every link (idempotent)."""
        errors = []
        for lk in self.links:
            try:
                lk.close()
            except Exception as e:  # keep closing the others
                errors.append(e)
        if errors:
            raise errors[0]

    def info(self) -> list[LinkInfo]:
        return [lk.info() for lk in self.links]

    def pin(self, directory: str) -> list[str]:
        """Pin each link as ``directory/<index>`` (the directory is created on bpffs)."""
        from ..fs import ensure_bpffs  # (lazy: a relative directory only)

        full = directory if os.path.isabs(directory) else os.path.join(ensure_bpffs(), directory)
        os.makedirs(full, exist_ok=True)
        return [lk.pin(os.path.join(full, str(i))) for i, lk in enumerate(self.links)]

    def unpin(self) -> None:
        for lk in self.links:
            lk.unpin()

    def update(self, prog: HasFd | int) -> None:
        for lk in self.links:
            lk.update(prog)

    def detach(self) -> None:
        for lk in self.links:
            lk.detach()
