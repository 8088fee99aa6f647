"""A fake memory image: the user and kernel memory a tracing program reads through helpers.

A tracepoint's ``filename`` field holds a *user* pointer; ``bpf_get_current_task()``
returns a *kernel* pointer to a ``task_struct``. In the VM neither exists, so a test
puts what they point at in a `MemoryImage`: byte strings at user addresses (high in
the lower half, like a process's mmap area) and structs at kernel addresses (in the
upper half), laid out from BTF when asked (`MemoryImage.struct`). The VM maps every
chunk as a region of its own before a run:

- ``user memory`` regions are not directly readable: only ``bpf_probe_read_user*``
  (and the legacy ``bpf_probe_read*``) read them, as in the kernel, where a direct load
  through a user pointer is refused by the verifier;
- ``kernel memory`` regions are readable (BTF-typed pointers are dereferenced
  directly in ``tp_btf``/iterator programs) and read by ``bpf_probe_read_kernel*``;
- anything not in the image reads as a fault: the helpers return ``-EFAULT`` and
  zero their destination, exactly what the kernel does for an unmapped address.

>>> img = MemoryImage()
>>> addr = img.string("/etc/passwd")
>>> hex(addr), img.read(addr, 4)
('0x7f0000001000', b'/etc')
>>> img.space_of(addr)
'user'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import PybpfError

#: Where user chunks go (page aligned, one page apart at least).
USER_BASE = 0x7F00_0000_1000
#: Where kernel chunks go (the direct map of x86-64).
KERNEL_BASE = 0xFFFF_8880_0000_1000
PAGE = 0x1000


@dataclass(frozen=True)
class Chunk:
    """``data`` at ``address`` in ``space`` (``"user"`` or ``"kernel"``), named for messages."""

    address: int
    data: bytes
    space: str
    name: str

    @property
    def end(self) -> int:
        return self.address + len(self.data)


class MemoryImage:
    """User and kernel memory outside the VM's own regions (see the module docstring)."""

    def __init__(self) -> None:
        self.chunks: list[Chunk] = []
        self._next = {"user": USER_BASE, "kernel": KERNEL_BASE}
        #: bumped on every change (the VM remaps the image when it changed)
        self.version = 0

    def add(self, data: bytes, *, space: str = "user", address: int | None = None,
            name: str = "") -> int:
        """Place ``data`` in ``space`` (at ``address``, or the next free page); its address."""
        if space not in self._next:
            raise PybpfError(f"memory image: space must be 'user' or 'kernel', not {space!r}")
        data = bytes(data)
        if address is None:
            address = self._next[space]
        for c in self.chunks:
            if address < c.end and c.address < address + max(len(data), 1):
                raise PybpfError(f"memory image: {len(data)} bytes at {address:#x} overlap "
                                 f"{c.name or 'a chunk'} at {c.address:#x}")
        self.chunks.append(Chunk(address, data, space, name or f"{space} data"))
        self.version += 1
        top = address + max(len(data), 1)
        self._next[space] = max(self._next[space], (top + 2 * PAGE - 1) // PAGE * PAGE)
        return address

    def string(self, text: str | bytes, *, space: str = "user", address: int | None = None) -> int:
        """A NUL-terminated string (what ``char *filename`` points at); its address."""
        raw = text.encode() if isinstance(text, str) else bytes(text)
        return self.add(raw + b"\0", space=space, address=address, name=f"{space} string")

    def struct(self, btf: Any, type_name: str, fields: dict[str, Any] | None = None, *,
               space: str = "kernel", address: int | None = None,
               missing_ok: bool = False) -> int:
        """A zeroed ``struct type_name`` laid out by ``btf`` with ``fields`` set (dotted
        member paths; ints stored little-endian in the member's size, bytes copied and
        cut to it); its address.

        >>> from pybpf.btf import vmlinux
        >>> img = MemoryImage()
        >>> a = img.struct(vmlinux(), "task_struct", {"pid": 7, "comm": b"sh"})  # doctest: +SKIP
        """
        data = struct_bytes(btf, type_name, fields or {}, missing_ok=missing_ok)
        return self.add(data, space=space, address=address, name=f"struct {type_name}")

    def merge(self, other: MemoryImage) -> None:
        """Add ``other``'s chunks (a context's strings) to this image; a chunk at an
        address this image already holds replaces it."""
        for c in other.chunks:
            if any(x.address == c.address and x.data == c.data for x in self.chunks):
                continue
            self.chunks = [x for x in self.chunks if not (x.address < c.end and c.address < x.end)]
            self.chunks.append(c)
            self.version += 1

    def space_of(self, address: int) -> str | None:
        """``"user"``/``"kernel"`` for an address inside a chunk, else None."""
        c = self.chunk_at(address)
        return c.space if c is not None else None

    def chunk_at(self, address: int) -> Chunk | None:
        for c in self.chunks:
            if c.address <= address < c.end:
                return c
        return None

    def read(self, address: int, size: int) -> bytes:
        """``size`` bytes at ``address`` from one chunk (for tests; the VM maps the chunks)."""
        c = self.chunk_at(address)
        if c is None or address + size > c.end:
            raise PybpfError(f"memory image: nothing at {address:#x} (+{size})")
        return c.data[address - c.address:address - c.address + size]


def struct_bytes(btf: Any, type_name: str, fields: dict[str, Any], *,
                 missing_ok: bool = False) -> bytes:
    """The bytes of ``struct type_name`` in ``btf`` with ``fields`` set (see `MemoryImage.struct`);
    ``missing_ok`` skips fields the struct does not have (another kernel's layout)."""
    from ..errors import BtfError

    try:
        tid = btf.find(type_name, "struct")
    except BtfError:
        raise PybpfError(f"memory image: no struct {type_name!r} in {btf.name}") from None
    out = bytearray(btf.size_of(tid))
    for path, value in fields.items():
        try:
            mtype, bit, bits = btf.member(tid, path)
        except BtfError as exc:
            if missing_ok:
                continue
            raise PybpfError(f"memory image: struct {type_name}: {exc}") from None
        if bits or bit % 8:
            raise PybpfError(f"memory image: struct {type_name}.{path} is a bitfield; "
                             "set it through its container")
        size = btf.size_of(mtype)
        off = bit // 8
        if isinstance(value, int):
            raw = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        else:
            raw = bytes(value)[:size].ljust(size, b"\0")
        out[off:off + size] = raw
    return bytes(out)
