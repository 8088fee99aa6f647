"""Local storage maps: per-socket, per-inode, per-task and per-cgroup values.

The kernel creates these only with BTF describing the key (a 4-byte ``int``)
and the value, and with ``BPF_F_NO_PREALLOC`` and ``max_entries == 0``. pybpf
builds a minimal BTF blob for that (``int`` key; the value is a struct of one
``unsigned char data[value_size]`` member), loads it with ``BPF_BTF_LOAD`` and
drops it once the map holds its own reference.

From user space the key of an element is an fd of the owner: a socket (sk
storage), a pidfd (task storage), an open file (inode storage, only with the
BPF LSM active) or a cgroup directory (cgrp storage). Keys cannot be
iterated.

>>> with TaskStorageMap.create(MapSpec(value_type="<Q")) as m:       # doctest: +SKIP
...     pidfd = os.pidfd_open(os.getpid()); m[pidfd] = 7; m[pidfd]
7
"""
from __future__ import annotations

from ... import uapi as A
from ...errors import PybpfError
from ...isa.mapspec import MapSpec
from .base import Map, MapSpecError, register
from .codec import Codec, CodecError, spec_size

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SkStorageMap", "InodeStorageMap", "TaskStorageMap", "CgrpStorageMap", "CgroupStorageMap",
           "PerCpuCgroupStorageMap", "storage_btf"]


def storage_btf(value_size: int) -> tuple[bytes, int, int]:
    """A BTF blob for a storage map: ``(blob, key type id, value type id)``."""
    from ...btf.format import IntEncoding  # lazy: BTF writing loads only for storage maps
    from ...btf.writer import BtfBuilder

    b = BtfBuilder()
    int_id = b.add_int("int", 4, IntEncoding.SIGNED)
    u8 = b.add_int("unsigned char", 1)
    arr = b.add_array(u8, int_id, value_size)
    val = b.add_struct("pybpf_storage", value_size, [("data", arr, 0)])
    return b.encode(), int_id, val


def _fd_key(obj: Any) -> bytes:
    if isinstance(obj, (bytes, bytearray)) and len(obj) == 4:
        return bytes(obj)
    fileno = getattr(obj, "fileno", None)
    fd = int(fileno()) if fileno is not None else obj
    if not isinstance(fd, int) or isinstance(fd, bool) or fd < 0:
        raise CodecError("key", f"a storage map key is the fd of its owner, got {obj!r}")
    return fd.to_bytes(4, "little")


class _StorageMap(Map):
    KEY_SIZE = 4
    REQUIRED_FLAGS = A.BPF_F_NO_PREALLOC
    ZERO_ENTRIES_OK = True
    BATCH = False
    #: what the key fd must refer to
    OWNER = "an fd"

    @classmethod
    def _create(cls, spec: MapSpec, type_id: int, inner_map: Map | None, btf_fd: int) -> Map:
        """Create the map with a minimal BTF describing its key and value (unless given one)."""
        if btf_fd and spec.btf_value_type_id:
            return super()._create(spec, type_id, inner_map, btf_fd)
        size = spec.value_size or (spec_size(spec.value_type, "value")
                                   if spec.value_type is not None else None)
        if not size:
            raise MapSpecError("value_size", f"a {cls.TYPE} map needs a value_size > 0")
        from ..btf import load_btf  # lazy: BTF writing loads only for storage maps

        blob, key_id, value_id = storage_btf(size)
        with load_btf(blob) as btf:
            spec = spec.replace(value_size=size, btf_key_type_id=key_id, btf_value_type_id=value_id,
                           btf_vmlinux_value_type_id=0)
            return super()._create(spec, type_id, inner_map, btf.fd)

    def __init__(self, fd: int, **kw: Any) -> None:
        super().__init__(fd, **kw)
        self.key_codec = Codec(4, "key", _fd_key, lambda raw: int.from_bytes(raw, "little"),
                               f"fd of {self.OWNER}")

    def keys_raw(self):
        raise PybpfError(f"{self._detail()}: storage map keys cannot be iterated from user space")

    def count(self) -> int:
        raise PybpfError(f"{self._detail()}: storage maps cannot be counted from user space")


@register
class SkStorageMap(_StorageMap):
    """``BPF_MAP_TYPE_SK_STORAGE``: a value per socket (key: the socket)."""

    TYPE = "sk_storage"
    OWNER = "a socket"


@register
class InodeStorageMap(_StorageMap):
    """``BPF_MAP_TYPE_INODE_STORAGE``: a value per inode (key: an open file)."""

    TYPE = "inode_storage"
    OWNER = "an open file"


@register
class TaskStorageMap(_StorageMap):
    """``BPF_MAP_TYPE_TASK_STORAGE``: a value per task (key: a pidfd)."""

    TYPE = "task_storage"
    OWNER = "a pidfd"


@register
class CgrpStorageMap(_StorageMap):
    """``BPF_MAP_TYPE_CGRP_STORAGE``: a value per cgroup (key: a cgroup directory fd)."""

    TYPE = "cgrp_storage"
    OWNER = "a cgroup directory"


@register
class CgroupStorageMap(Map):
    """``BPF_MAP_TYPE_CGROUP_STORAGE`` (the older per-attachment cgroup storage): key is
    ``struct bpf_cgroup_storage_key`` (u64 cgroup inode id, u32 attach type, padded: 16 bytes) or
    the u64 id alone; created with max_entries 0; entries appear when a program using it
    is attached to a cgroup."""

    TYPE = "cgroup_storage"
    KEY_SIZE = 16
    ZERO_ENTRIES_OK = True
    BATCH = False

    @classmethod
    def _size_ok(cls, field: str, size: int) -> bool:
        return field == "key_size" and size == 8


@register
class PerCpuCgroupStorageMap(CgroupStorageMap):
    """``BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE``: the per-CPU variant."""

    TYPE = "percpu_cgroup_storage"
    PER_CPU = True
