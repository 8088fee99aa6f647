"""The types of values only the compiler makes: kernel structs followed through BTF, stacks,
symbol addresses and blobs (bytes userspace prints in a form of their own).

They live here, not in `pybpf.dsl.types` (which still names them), so a probe kept by
`pybpf.dsl.cache` loads without making their classes.

>>> StackId(user=True), KPtr(1, "task_struct"), Blob("inet", 24)
(ustack, struct task_struct *, inet[24])
"""

from __future__ import annotations

from .._record import record

__all__ = ["Blob", "KPtr", "StackId", "SymAddr"]


@record(frozen=True)
class KPtr:
    """A pointer to a kernel (or, with ``user``, a user-space) struct, followed field by field
    through the running kernel's BTF (``task().real_parent.tgid``, ``ctx.rqtp.tv_sec``)."""

    type_id: int
    name: str
    size: int = 8
    user: bool = False

    def __repr__(self) -> str:
        return f"struct {self.name} *"


@record(frozen=True)
class StackId:
    """A stack as a value: the id ``get_stackid`` gave in the low 32 bits, and for a user
    stack the pid in the high 32 bits (the symbols of user addresses depend on the process)."""

    user: bool
    depth: int = 127
    size: int = 8

    def __repr__(self) -> str:
        return "ustack" if self.user else "kstack"


@record(frozen=True)
class SymAddr:
    """An address to print as a symbol (``ksym(a)``, ``usym(a)``: user addresses with the pid)."""

    user: bool
    size: int = 8

    def __repr__(self) -> str:
        return "usym" if self.user else "ksym"


@record(frozen=True)
class Blob:
    """Bytes that userspace prints in a form of their own: ``inet`` (an address family as a
    u64, then 16 bytes of address: bpftrace's ``ntop()``) and ``buf`` (``size`` raw bytes,
    printed with ``\\xNN`` escapes: bpftrace's ``buf()``, printf's ``%r``)."""

    kind: str
    size: int

    @property
    def align(self) -> int:
        return 8

    def __repr__(self) -> str:
        return f"{self.kind}[{self.size}]"
