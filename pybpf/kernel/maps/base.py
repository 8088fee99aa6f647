"""BPF maps: `Map` (the base class, a dict-like view of a kernel map) and creation.

`Map.create` makes a map from a `pybpf.isa.MapSpec` (the description every front end
produces) and returns the class of its kind (`pybpf.kernel.maps.kinds`: `HashMap`,
`ArrayMap`, `RingBufMap`...). Every map owns its fd (context manager, closes once,
closes on GC).

Keys and values are bytes by default (ints are accepted and written little
endian); give ``key_type``/``value_type`` in the spec (``int``, a struct format string, a
ctypes type or a numpy dtype, see `pybpf.kernel.maps.codec`) to read them as
Python objects. Per-CPU maps read and write a list with one value per possible
CPU.

Why `count()` and not ``len()``: a hash map's size is only known by walking
it (one syscall per key), so it is an explicit method; ``len()`` would make
``bool(m)`` and ``list(m)`` quietly cost a full walk.

>>> with Map.create(MapSpec("counts", "hash", max_entries=64, key_type="<I", value_type="<Q")) as m:
...     m[1] = 10
...     type(m).__name__, m[1], 1 in m, 2 in m, m.count()
('HashMap', 10, True, False, 1)
"""
from __future__ import annotations

import errno
import os
from _thread import get_ident  # (threading's, without importing threading)

from ... import uapi as A
from ...errors import KernelError, PybpfError
from ...isa.mapspec import MapSpec
from ...uapi import GET_ID, MAP_CREATE, MAP_ELEM, MAP_TYPES
from ...uapi.cpus import possible_cpus
from ...uapi.names import object_name
from .. import syscall
from ..fd import FD
from ..syscall import Cmd, PreparedAttr, address, bpf
from .codec import Codec, CodecError, codec_for, spec_size

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any, ClassVar

    from ..info import MapInfo
    from .batch import BatchOps
    from .elems import ElemsPy

    ElemBase = ElemsPy

    class _Elems(BatchOps, ElemsPy):
        """What the type checker reads as `Map`'s bases: the batch methods where they are
        written (at run time they are `_BatchMethod` until the first batch call)."""

__all__ = ["Map", "MapInfo", "MapSpec", "MapSpecError", "possible_cpus",
           "map_class", "CodecError"]


def __getattr__(name: str) -> object:
    if name == "MapInfo":  # (what `Map.info` answers: defined in pybpf.kernel.info)
        from ..info import MapInfo

        return MapInfo
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_ELEM_PACK = MAP_ELEM.packer("map_fd", "key", "value")
_FLAGS_OFF = MAP_ELEM.offset("flags")
_VALUE_OFF = MAP_ELEM.offset("value")  # delete passes the attr only up to `key`
_ATTR_SIZE = MAP_ELEM.size
_NATIVE_BPF = syscall._native_bpf
# plain ints for the hot paths (an IntEnum member lookup costs more than the call setup)
_LOOKUP, _UPDATE, _DELETE, _NEXT_KEY = (int(Cmd.MAP_LOOKUP_ELEM), int(Cmd.MAP_UPDATE_ELEM),
                                        int(Cmd.MAP_DELETE_ELEM), int(Cmd.MAP_GET_NEXT_KEY))


def _elem_base() -> type:
    """`Map`'s base (see `pybpf.kernel.maps.elems`): `pybpf._mapcall`'s ``ElemBase``, told
    where the syscall seam is, or `elems.ElemsPy` where that extension was not built (the
    elems module is loaded then alone)."""
    try:
        from ..._mapcall import ElemBase as compiled, seam
    except ImportError:
        from .elems import ElemsPy

        return ElemsPy
    seam(vars(syscall), _NATIVE_BPF)
    # let go of syscall's namespace at exit (the slots then take the Python path): held past
    # the modules' teardown, it is cleared the slow way (~0.4M instructions per process)
    import atexit

    atexit.register(seam, {}, None)
    return compiled


if not TYPE_CHECKING:
    ElemBase = _Elems = _elem_base()


class _Scratch:
    """Per-map reusable buffers for single-element calls: the attr points at them once."""

    __slots__ = ("owner", "attr", "key", "val", "kmv", "vmv", "keep", "flags", "c", "err", "sys_bpf",
                 "vint")

    def __init__(self, fd: int, key_size: int, value_size: int) -> None:
        self.owner = get_ident()
        self.vint = False  # values decode as little-endian ints straight from the buffer
        self.key = bytearray(max(key_size, 1))
        self.val = bytearray(max(value_size, 1))
        self.kmv = memoryview(self.key)  # slice assignment through a view is ~2x faster
        self.vmv = memoryview(self.val)
        ka, kk = address(self.key)
        va, vk = address(self.val)
        self.keep = (kk, vk)
        self.attr = PreparedAttr(MAP_ELEM.size)
        _ELEM_PACK.pack_into(self.attr.buf, 0, fd, ka, va)
        self.flags = 0
        native = syscall._native()
        self.c = native.ffi.from_buffer(self.attr.buf)
        self.err = native.ffi.new("int *")
        self.sys_bpf = native.lib.pybpf_sys_bpf

    def one(self, cmd: int, key: bytes, value: bytes | None, flags: int, size: int = _ATTR_SIZE) -> int:
        """errno of one element call (0 on success), EINTR retried; ``key``/``value`` must
        have the buffers' lengths."""
        self.kmv[:] = key
        if value is not None:
            self.vmv[:] = value
        if self.flags != flags:
            self.set_flags(flags)
        if syscall._sys_bpf is syscall._native_bpf:
            while True:
                if self.sys_bpf(cmd, self.c, size, self.err) >= 0:
                    return 0
                err = self.err[0]
                if err != errno.EINTR:
                    return err
        ret, err = self.attr.call(cmd, size)
        return err if ret < 0 else 0

    def set_flags(self, flags: int) -> None:
        if flags != self.flags:
            self.attr.buf[_FLAGS_OFF:_FLAGS_OFF + 8] = flags.to_bytes(8, "little")
            self.flags = flags
_MISSING = object()
_MISSING_VALUE = object()  # `in`'s default for lookup (never a value)
#: the kinds whose element calls may take the C path of integer maps (`Map._shape`): their
#: kernel element ops never sleep (the C calls keep the GIL, see src_c/pyext/mapcall.c); fd,
#: socket, map-in-map, cpumap and storage kinds keep the Python path (cffi releases the GIL)
_PLAIN_KINDS = frozenset(("hash", "lru_hash", "array", "lpm_trie"))
_ENOENT, _EINTR, _ERANGE = errno.ENOENT, errno.EINTR, errno.ERANGE


def _uint_calls() -> tuple[Any, Any, Any] | None:
    """``(get, set, delete)``: the C calls of integer maps, or None when neither compiled
    module has them (then every call takes the Python path).

    ``get(fd, key, shape)`` answers the value (>= 0) or minus the errno; ``set(fd, key,
    value, shape, flags)`` and ``delete(fd, key, shape)`` answer 0 or the errno (ERANGE: the
    key or value does not fit). `pybpf._mapcall` makes each one CPython call (src_c/pyext/
    mapcall.c); where it is missing, the cffi calls of src_c/mapops.c (its ``get`` answers 0
    and sets errno on failure: wrapped to the same answer)."""
    global _UINT
    if _UINT is None:
        try:
            from ..._mapcall import delete, get, set as set_
            _UINT = (get, set_, delete)
        except ImportError:
            try:
                native = syscall._native()
                lib, ffi = native.lib, native.ffi
                cget = lib.pybpf_map_get_uint

                def cffi_get(fd: int, key: int, shape: int) -> int:
                    value = cget(fd, key, shape)
                    return value if value else -ffi.errno  # (errno 0: the value is 0)

                _UINT = (cffi_get, lib.pybpf_map_set_uint, lib.pybpf_map_del_uint)
            except (ImportError, AttributeError, PybpfError):
                _UINT = ()
    return _UINT or None


_UINT: tuple[Any, ...] | None = None


class MapSpecError(PybpfError, ValueError):
    """A map specification is wrong before the kernel is even asked; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class Map(FD, _Elems):
    """A kernel map: a dict-like view (``m[k]``, ``m[k] = v``, ``del m[k]``, ``in``,
    iteration over keys, `items`, `values`, `get`, `update`, `count`) plus batch
    operations, freeze, pin and info.

    Create one from a `MapSpec` with `Map.create`, or open an existing one with
    `from_id`/`from_pinned`/`from_fd`.
    """

    _kind = "map"
    #: the kernel map type name of the subclass (None on the base class)
    TYPE: ClassVar[str | None] = None
    #: fixed key/value sizes of the kind (None: the caller chooses; 0: must be 0)
    KEY_SIZE: ClassVar[int | None] = None
    VALUE_SIZE: ClassVar[int | None] = None
    #: default key/value codecs of the kind
    KEY_TYPE: ClassVar[Any] = None
    VALUE_TYPE: ClassVar[Any] = None
    #: flags every map of this kind needs
    REQUIRED_FLAGS: ClassVar[int] = 0
    #: values are per CPU (lists with one value per possible CPU)
    PER_CPU: ClassVar[bool] = False
    #: BPF_MAP_*_BATCH work on this kind (otherwise batch calls fall back to per-key calls)
    BATCH: ClassVar[bool] = True
    #: max_entries may be 0 (storage maps)
    ZERO_ENTRIES_OK: ClassVar[bool] = False

    def __init__(self, fd: int, *, type: str | int, key_size: int, value_size: int, max_entries: int,
                 flags: int = 0, name: str = "", key_type: Any = None, value_type: Any = None,
                 owned: Iterable[FD] = ()) -> None:
        super().__init__(fd, kind=f"map {name or '?'}")
        self.type_id = A.map_type(type)
        self.type = A.type_name(MAP_TYPES, self.type_id)
        self.key_size = key_size
        self.value_size = value_size
        self.max_entries = max_entries
        self.flags = flags
        self.name = name
        self._owned = list(owned)
        kt = key_type if key_type is not None else self.KEY_TYPE
        vt = value_type if value_type is not None else self.VALUE_TYPE
        self.key_codec: Codec = codec_for(kt, key_size, "key") if key_size else codec_for(None, 0, "key")
        self.value_codec: Codec = codec_for(vt, value_size, "value") if value_size else \
            codec_for(None, 0, "value")
        self._stride = (value_size + 7) & ~7 if self.PER_CPU else value_size  # (8-aligned per CPU)
        self._ncpu = possible_cpus() if self.PER_CPU else 1
        self._mmap: Any = None
        self._scr: _Scratch | None = None
        #: key_size << 8 | value_size when keys and values are ints of 1, 2, 4 or 8 bytes
        #: (`_fast_uint`): then m[k], m[k] = v and del m[k] are one C call each
        self._shape = 0
        if self.type in _PLAIN_KINDS and not self.PER_CPU and key_size in (1, 2, 4, 8) and \
                value_size in (1, 2, 4, 8) and self.key_codec.name == "int" and \
                self.value_codec.name == "int" and self.__class__._value is Map._value:
            self._shape = key_size << 8 | value_size
        self._get: Any = None
        self._set: Any = None
        self._del: Any = None
        self._fast = 0  # (`ElemBase`'s C field where pybpf._mapcall is built)
        if self._shape:
            self._fast_uint(True)

    # -- creation -------------------------------------------------------------------------------
    @classmethod
    def create(cls, spec: MapSpec, *, inner_map: Map | None = None, btf: int | FD = 0) -> Map:
        """Create the map ``spec`` describes (``BPF_MAP_CREATE``); the one way to make a map.

        Returns an object of the class of the map's kind (`HashMap`, `RingBufMap`...). On a
        subclass the type may be left out of the spec (``HashMap.create(MapSpec(...))``).
        A zero ``key_size``/``value_size`` is taken from ``key_type``/``value_type`` or the
        kind's fixed size. A map-in-map takes the template of its inner maps as
        ``inner_map`` (a live map), or creates one for the call from ``spec.inner`` when that
        is a `MapSpec`. ``btf`` (a loaded BTF or its fd) is the BTF that
        ``spec.btf_key_type_id``/``btf_value_type_id`` refer to. ``spec.initial`` is written
        at key 0 and ``spec.frozen`` freezes the map afterwards (global data). Bad input (an
        unknown type, a size the kind forbids, no inner map for a map-in-map) raises
        `MapSpecError` naming the field before any syscall.

        >>> m = Map.create(MapSpec("counts", "array", 4, 8, 1))        # doctest: +SKIP
        >>> type(m).__name__, m.value_size                              # doctest: +SKIP
        ('ArrayMap', 8)
        """
        if not isinstance(spec, MapSpec):
            raise MapSpecError("spec", f"{cls.__name__}.create takes a MapSpec, got "
                               f"{type(spec).__name__} (pybpf.MapSpec(name, type, key_size, "
                               "value_size, max_entries, ...))")
        mtype = spec.type if spec.type not in ("", None) else cls.TYPE
        if mtype is None:
            raise MapSpecError("type", "Map.create needs a map type (MapSpec(type='hash', ...))")
        try:
            type_id = A.map_type(mtype)
        except PybpfError as e:
            raise MapSpecError("type", str(e)) from None
        kind = map_class(type_id)
        if cls is not Map and cls.TYPE is not None and not issubclass(kind, cls):
            raise MapSpecError("type", f"{cls.__name__} creates {cls.TYPE} maps, not {mtype!r}")
        template: Map | None = None
        if inner_map is None and isinstance(spec.inner, MapSpec):
            inner_spec = spec.inner
            if not inner_spec.name:
                inner_spec = inner_spec.replace(name=f"{spec.name}.inner")
            template = inner_map = Map.create(inner_spec)
        try:
            m = kind._create(spec, type_id, inner_map, btf.fd if isinstance(btf, FD) else btf)
        finally:
            if template is not None:
                template.close()  # the outer map keeps what it needs of the template
        try:
            if spec.initial is not None:
                m.update(0, bytes(spec.initial).ljust(m.value_size, b"\0"))
            if spec.frozen:
                m.freeze()
        except BaseException:
            m.close()
            raise
        return m

    @classmethod
    def _create(cls, spec: MapSpec, type_id: int, inner_map: Map | None, btf_fd: int) -> Map:
        """``BPF_MAP_CREATE`` for this kind (storage kinds override it to supply their BTF)."""
        name = spec.name
        key_type = spec.key_type if spec.key_type is not None else cls.KEY_TYPE
        value_type = spec.value_type if spec.value_type is not None else cls.VALUE_TYPE
        key_size = cls._size("key_size", spec.key_size or None, key_type, cls.KEY_SIZE)
        value_size = cls._size("value_size", spec.value_size or None, value_type, cls.VALUE_SIZE)
        flags = spec.flags | cls.REQUIRED_FLAGS
        max_entries = cls._default_entries(spec.max_entries)
        if not isinstance(max_entries, int) or max_entries < 0 or (
                max_entries == 0 and not cls.ZERO_ENTRIES_OK):
            raise MapSpecError("max_entries", f"a {cls.TYPE or spec.type} map needs max_entries > 0, "
                               f"got {max_entries!r}")
        cls._check(key_size, value_size, max_entries, flags, inner_map)
        cname = object_name(name)
        fields: dict[str, Any] = dict(map_type=type_id, key_size=key_size, value_size=value_size,
                                      max_entries=max_entries, map_flags=flags, map_name=cname,
                                      map_extra=spec.map_extra)
        if inner_map is not None:
            fields["inner_map_fd"] = inner_map.fd
        if spec.numa_node is not None:
            fields["numa_node"] = spec.numa_node
            fields["map_flags"] = flags | A.BPF_F_NUMA_NODE
        if btf_fd and (spec.btf_key_type_id or spec.btf_value_type_id or spec.btf_vmlinux_value_type_id):
            fields.update(btf_fd=btf_fd, btf_key_type_id=spec.btf_key_type_id,
                          btf_value_type_id=spec.btf_value_type_id,
                          btf_vmlinux_value_type_id=spec.btf_vmlinux_value_type_id)
        attr = MAP_CREATE.new(**fields)
        kind_name = cls.TYPE or spec.type
        fd = bpf(Cmd.MAP_CREATE, attr, detail=f"{kind_name} map {name!r}: key_size={key_size} "
                 f"value_size={value_size} max_entries={max_entries} flags={flags:#x}")
        try:
            return cls(fd, type=type_id, key_size=key_size, value_size=value_size,
                       max_entries=max_entries, flags=fields["map_flags"], name=cname,
                       key_type=key_type, value_type=value_type)
        except BaseException:
            os.close(fd)
            raise

    @classmethod
    def _size(cls, field: str, given: int | None, spec: Any, fixed: int | None) -> int:
        implied = spec_size(spec, field.split("_")[0]) if spec is not None else None
        if given is None:
            given = fixed if fixed is not None else implied
            if given is None:
                raise MapSpecError(field, f"a {cls.TYPE or ''} map needs a {field} (or a "
                                   f"{field.split('_')[0]}_type that implies it)")
        if not isinstance(given, int) or isinstance(given, bool) or given < 0:
            raise MapSpecError(field, f"expected a size in bytes, got {given!r}")
        if fixed is not None and given != fixed and not cls._size_ok(field, given):
            raise MapSpecError(field, f"a {cls.TYPE} map has a {field} of {fixed}, not {given}")
        if fixed is None and given == 0:
            raise MapSpecError(field, f"a {cls.TYPE or ''} map needs a {field} > 0")
        if implied is not None and implied != given:
            raise MapSpecError(field, f"{field} is {given} but the {field.split('_')[0]}_type is "
                               f"{implied} bytes")
        return given

    @classmethod
    def _size_ok(cls, field: str, size: int) -> bool:
        """Whether a size other than the kind's default is allowed (e.g. devmap 4 or 8)."""
        return False

    @classmethod
    def _default_entries(cls, max_entries: int) -> int:
        if not (isinstance(max_entries, int) and max_entries == 0):
            return max_entries  # (as entries_at_creation: only a 0 may change)
        # the map rules' tables, read for a 0 alone (a start-up path: most maps give a size)
        from ...uapi.map_rules import entries_at_creation

        return entries_at_creation(cls.TYPE or "", max_entries)

    @classmethod
    def _check(cls, key_size: int, value_size: int, max_entries: int, flags: int,
               inner_map: Map | None) -> None:
        """Kind-specific checks before the syscall (raise MapSpecError)."""

    # -- opening existing maps ------------------------------------------------------------------
    @classmethod
    def from_fd(cls, fd: int, *, key_type: Any = None, value_type: Any = None) -> Map:
        """Wrap (and take ownership of) an existing map fd, reading its shape from the kernel."""
        from ..info import map_info  # (lazy: a map's start-up reads no info)

        try:
            info = map_info(fd)
        except BaseException:
            os.close(fd)
            raise
        kind = map_class(info.type_id) if cls is Map else cls
        if cls is not Map and cls.TYPE is not None and not issubclass(map_class(info.type_id), cls):
            os.close(fd)
            raise MapSpecError("type", f"{cls.__name__} opens {cls.TYPE} maps, but this one has type "
                               f"{info.type!r} (use Map.from_... to get the right class)")
        try:
            return kind(fd, type=info.type_id, key_size=info.key_size, value_size=info.value_size,
                        max_entries=info.max_entries, flags=info.flags, name=info.name,
                        key_type=key_type, value_type=value_type)
        except BaseException:
            os.close(fd)
            raise

    @classmethod
    def from_id(cls, map_id: int, *, key_type: Any = None, value_type: Any = None) -> Map:
        """Open the map with kernel id ``map_id`` (``BPF_MAP_GET_FD_BY_ID``)."""
        attr = GET_ID.new(map_id=map_id)
        fd = bpf(Cmd.MAP_GET_FD_BY_ID, attr, detail=f"map id {map_id}")
        return cls.from_fd(fd, key_type=key_type, value_type=value_type)

    @classmethod
    def from_pinned(cls, path: str, *, key_type: Any = None, value_type: Any = None) -> Map:
        """Open the map pinned at ``path`` on bpffs (relative paths are under the bpffs root)."""
        from .. import pin as bpffs  # (lazy: pinning is no part of a map's start-up)

        return cls.from_fd(bpffs.get_pinned(path), key_type=key_type, value_type=value_type)

    # -- object ---------------------------------------------------------------------------------
    def info(self) -> MapInfo:
        """The kernel's view of this map (id, name, type, sizes, flags...)."""
        from ..info import map_info  # (lazy, as in from_fd)

        return map_info(self.fd)

    @property
    def id(self) -> int:
        return self.info().id

    def pin(self, path: str) -> str:
        """Pin the map on bpffs at ``path``; returns the absolute path."""
        from .. import pin as bpffs  # (lazy, as in from_pinned)

        return bpffs.pin(self.fd, path)

    def unpin(self, path: str) -> None:
        """Remove the pin at ``path`` (the map lives on while fds or programs hold it)."""
        from .. import pin as bpffs  # (lazy, as in from_pinned)

        bpffs.unpin(path)

    def freeze(self) -> None:
        """Make the map read-only for user space (``BPF_MAP_FREEZE``); programs may still write
        unless the map was created with BPF_F_RDONLY_PROG. Later updates raise KernelError EPERM."""
        bpf(Cmd.MAP_FREEZE, MAP_ELEM.new(map_fd=self.fd), detail=self._detail())

    def _detail(self) -> str:
        return f"{self.type} map {self.name!r}"

    def _repr_extra(self) -> str:
        return f" {self.type} name={self.name!r} key={self.key_size} value={self.value_size} " \
               f"max_entries={self.max_entries}"

    def _release(self) -> None:
        if self._mmap is not None:
            try:
                self._mmap.close()
            except BufferError:
                pass  # a memoryview is still exported: the mapping goes when it is released
            self._mmap = None
        for obj in self._owned:
            obj.close()
        self._owned.clear()

    # -- encoding -------------------------------------------------------------------------------
    def _key(self, key: Any) -> bytes:
        return self.key_codec.encode(key)

    def _value(self, value: Any) -> bytes:
        if not self.PER_CPU:
            return self.value_codec.encode(value)
        if isinstance(value, (bytes, bytearray, memoryview)) and len(value) == self._stride * self._ncpu:
            return bytes(value)
        if not isinstance(value, (list, tuple)):
            value = [value] * self._ncpu  # one value for every CPU
        if len(value) != self._ncpu:
            raise CodecError("value", f"a per-CPU value is a list of {self._ncpu} values (one per "
                             f"possible CPU), got {len(value)}")
        pad = b"\0" * (self._stride - self.value_size)
        return b"".join(self.value_codec.encode(v) + pad for v in value)

    def _decode_value(self, raw: bytes) -> Any:
        if not self.PER_CPU:
            return self.value_codec.decode(raw)
        s, n = self._stride, self.value_size
        dec = self.value_codec.decode
        return [dec(raw[i * s:i * s + n]) for i in range(self._ncpu)]

    @property
    def _value_buf_size(self) -> int:
        return self._stride * self._ncpu

    def _fast_uint(self, on: bool) -> None:
        """Use (``on``) or not the C calls of integer maps; without them every call takes
        the Python path (tests compare the two)."""
        calls = _uint_calls() if on and self._shape else None
        if calls is None:
            self._get = self._set = self._del = None
            self._fast = 0
        else:
            self._get, self._set, self._del = calls
            self._fast = self._shape  # (`pybpf._mapcall.ElemBase`'s slots read it)

    def _uint_error(self, cmd: Cmd, err: int) -> KernelError:
        """The error of a failed C call (`ClosedError` once the map is closed)."""
        if self._fd < 0:
            self.fd  # noqa: B018 - raises ClosedError
        return KernelError(syscall.command_name(cmd), err, hint=syscall.hint_for(cmd, err),
                           detail=self._detail())

    # -- raw element operations -----------------------------------------------------------------
    def _elem(self, cmd: Cmd, key: bytes | None, value: bytearray | bytes | None, flags: int = 0) -> int:
        kaddr, kkeep = address(key)
        vaddr, vkeep = address(value)
        attr = MAP_ELEM.new(map_fd=self.fd, key=kaddr, value=vaddr, flags=flags)
        try:
            return bpf(cmd, attr, detail=self._detail())
        finally:
            del kkeep, vkeep

    def _mine(self) -> _Scratch | None:
        """This map's scratch buffers when the calling thread owns them (the first thread to
        use them; others take the allocating path, so no lock is needed), else None."""
        s = self._scr
        if s is None:
            if not self.key_size or self._fd < 0:
                return None
            s = _Scratch(self._fd, self.key_size, self._value_buf_size)
            s.vint = self.value_codec.name == "int" and not self.PER_CPU
            self._scr = s
        if s.owner != get_ident() or self._fd < 0:
            return None
        return s

    def lookup_raw(self, key: bytes | None, flags: int = 0) -> bytes | None:
        """The raw value bytes at encoded ``key``, or None when absent."""
        if key is not None and len(key) == self.key_size and (s := self._mine()) is not None:
            err = s.one(_LOOKUP, key, None, flags)
            if not err:
                return bytes(s.val)
            if err == errno.ENOENT:
                return None
            raise s.attr.fail(Cmd.MAP_LOOKUP_ELEM, err, self._detail())
        out = bytearray(self._value_buf_size)
        try:
            self._elem(Cmd.MAP_LOOKUP_ELEM, key, out, flags)
        except KernelError as e:
            if e.errno == errno.ENOENT:
                return None
            raise
        return bytes(out)

    # -- dict API -------------------------------------------------------------------------------
    def lookup(self, key: Any, default: Any = _MISSING, *, flags: int = 0) -> Any:
        """The value at ``key``; KeyError (or ``default``) when absent."""
        get = self._get
        if get is not None and not flags and syscall._sys_bpf is _NATIVE_BPF:
            # integer map: one C call (a key that is no int, or negative, takes the codec)
            try:
                value = get(self._fd, key, self._shape)
            except (TypeError, OverflowError):
                pass
            else:
                if value >= 0:
                    return value
                err = -value
                if err == _ENOENT:
                    if default is _MISSING:
                        raise KeyError(key)
                    return default
                if err != _ERANGE:  # (too wide for key_size: the codec says so below)
                    raise self._uint_error(Cmd.MAP_LOOKUP_ELEM, err)
        kb = self.key_codec.encode(key)
        s = self._scr
        if s is not None and s.owner == get_ident() and self._fd >= 0 and len(kb) == self.key_size:
            # hot path: the scratch attr already points at the key and value buffers
            if flags or s.flags or syscall._sys_bpf is not _NATIVE_BPF:
                err = s.one(_LOOKUP, kb, None, flags)
            else:
                s.kmv[:] = kb
                err = 0 if s.sys_bpf(_LOOKUP, s.c, _ATTR_SIZE, s.err) >= 0 else s.err[0]
                if err == errno.EINTR:
                    err = s.one(_LOOKUP, kb, None, flags)
            if not err:
                if s.vint:
                    return int.from_bytes(s.val, "little")
                raw: bytes | None = bytes(s.val)
            elif err == errno.ENOENT:
                raw = None
            else:
                raise s.attr.fail(Cmd.MAP_LOOKUP_ELEM, err, self._detail())
        else:
            raw = self.lookup_raw(kb, flags)
        if raw is None:
            if default is _MISSING:
                raise KeyError(key)
            return default
        return self._decode_value(raw) if self.PER_CPU else self.value_codec.decode(raw)

    def get(self, key: Any, default: Any = None) -> Any:
        """The value at ``key`` or ``default``."""
        return self.lookup(key, default)

    def update(self, key: Any, value: Any, flags: int = A.BPF_ANY) -> None:
        """Set ``key`` to ``value``. ``flags``: BPF_ANY, BPF_NOEXIST (KernelError EEXIST when
        present), BPF_EXIST (KernelError ENOENT when absent), optionally | BPF_F_LOCK."""
        set_ = self._set
        if set_ is not None and syscall._sys_bpf is _NATIVE_BPF:
            try:  # integer map: one C call (see `lookup`)
                err = set_(self._fd, key, value, self._shape, flags)
            except (TypeError, OverflowError):
                pass
            else:
                if not err:
                    return
                if err != _ERANGE:
                    raise self._uint_error(Cmd.MAP_UPDATE_ELEM, err)
        k, v = self.key_codec.encode(key), self._value(value)
        s = self._scr
        if s is not None and s.owner == get_ident() and self._fd >= 0 and len(k) == self.key_size \
                and len(v) == len(s.val) and s.flags == flags and syscall._sys_bpf is _NATIVE_BPF:
            # hot path, as in `lookup`
            s.kmv[:] = k
            s.vmv[:] = v
            err = 0 if s.sys_bpf(_UPDATE, s.c, _ATTR_SIZE, s.err) >= 0 else s.err[0]
            if err == errno.EINTR:
                err = s.one(_UPDATE, k, v, flags)
            if err:
                raise s.attr.fail(Cmd.MAP_UPDATE_ELEM, err, self._detail())
            return
        s = self._mine() if len(k) == self.key_size else None
        if s is not None and len(v) == len(s.val):
            err = s.one(_UPDATE, k, v, flags)
            if err:
                raise s.attr.fail(Cmd.MAP_UPDATE_ELEM, err, self._detail())
            return
        self._elem(Cmd.MAP_UPDATE_ELEM, k, v, flags)

    def delete(self, key: Any) -> None:
        """Delete ``key``; KeyError when absent."""
        del_ = self._del
        if del_ is not None and syscall._sys_bpf is _NATIVE_BPF:
            try:  # integer map: one C call (see `lookup`)
                err = del_(self._fd, key, self._shape)
            except (TypeError, OverflowError):
                pass
            else:
                if not err:
                    return
                if err == _ENOENT:
                    raise KeyError(key)
                if err != _ERANGE:
                    raise self._uint_error(Cmd.MAP_DELETE_ELEM, err)
        k = self._key(key)
        s = self._mine() if len(k) == self.key_size else None
        if s is not None:
            err = s.one(_DELETE, k, None, 0, _VALUE_OFF)
        else:
            try:
                self._elem(Cmd.MAP_DELETE_ELEM, k, None)
                err = 0
            except KernelError as e:
                if e.errno != errno.ENOENT:
                    raise
                err = e.errno
        if err == errno.ENOENT:
            raise KeyError(key)
        if err:
            assert s is not None  # only the fast path returns an errno other than ENOENT
            raise s.attr.fail(Cmd.MAP_DELETE_ELEM, err, self._detail())

    def __contains__(self, key: Any) -> bool:
        if self._get is not None:
            return self.lookup(key, _MISSING_VALUE) is not _MISSING_VALUE
        return self.lookup_raw(self._key(key)) is not None

    def keys_raw(self) -> Iterator[bytes]:
        """Iterate over encoded keys (``BPF_MAP_GET_NEXT_KEY``)."""
        ks = self.key_size
        cur = bytearray(ks)
        nxt = bytearray(ks)
        ca, ck = address(cur)
        na, nk = address(nxt)
        attr = PreparedAttr(_FLAGS_OFF)  # up to next_key: flags must look zero
        _ELEM_PACK.pack_into(attr.buf, 0, self.fd, 0, na)
        first = True
        while True:
            if self._fd < 0:  # closed meanwhile: never hand a stale fd number to the kernel
                self.fd  # noqa: B018 - raises ClosedError
            ret, err = attr.call(_NEXT_KEY)
            if ret < 0:
                if err == errno.ENOENT:
                    return
                raise attr.fail(Cmd.MAP_GET_NEXT_KEY, err, self._detail())
            key = bytes(nxt)
            yield key
            cur[:] = key
            if first:
                _ELEM_PACK.pack_into(attr.buf, 0, self.fd, ca, na)
                first = False
        del ck, nk

    def keys(self) -> Iterator[Any]:
        """Iterate over keys (decoded)."""
        dec = self.key_codec.decode
        for raw in self.keys_raw():
            yield dec(raw)

    def __iter__(self) -> Iterator[Any]:
        return self.keys()

    def items(self) -> Iterator[tuple[Any, Any]]:
        """Iterate over ``(key, value)`` pairs (keys deleted meanwhile are skipped)."""
        dec = self.key_codec.decode
        for raw in self.keys_raw():
            value = self.lookup_raw(raw)
            if value is not None:
                yield dec(raw), self._decode_value(value)

    def values(self) -> Iterator[Any]:
        for _k, v in self.items():
            yield v

    def _repr_html_(self) -> str | None:
        """The map and its first entries as a table in a notebook, drawn by `pybpf.viewer` (see `pybpf.isa.display`)."""
        from ...isa.display import html_of

        return html_of(self)

    def count(self) -> int:
        """The number of keys, found by walking the map (one syscall per key)."""
        return sum(1 for _ in self.keys_raw())

    def clear(self) -> None:
        """Delete every key (batch when the kind supports it)."""
        keys = list(self.keys_raw())
        if keys:
            self.delete_batch_raw(b"".join(keys), len(keys))


class _BatchMethod:
    """A batch method of `Map` until the process's first batch call: reading one (from a map,
    or from the class, as ``help(Map)`` does) loads `pybpf.kernel.maps.batch` and puts its
    `BatchOps` methods on `Map` in place of these (a map's start-up loads no batch code)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, cls: type | None = None) -> Any:
        from .batch import BatchOps

        for name, value in vars(BatchOps).items():
            if not name.startswith("__"):
                setattr(Map, name, value)
        return vars(BatchOps)[self.name].__get__(obj, cls)  # (Map's own, as super() asks)


for _name in ("lookup_batch_raw", "_batches", "_lookup_batch_fallback", "lookup_batch",
              "lookup_batch_dict", "lookup_batch_arrays", "_per_cpu_array", "lookup_and_delete_batch",
              "update_batch_raw", "_update_fallback", "update_batch", "delete_batch_raw", "delete_batch"):
    setattr(Map, _name, _BatchMethod(_name))
del _name


# -- kinds registry ----------------------------------------------------------------------------
_CLASSES: dict[int, type[Map]] = {}


def register(cls: type[Map]) -> type[Map]:
    """Class decorator: make ``cls`` the class of maps of type ``cls.TYPE``."""
    assert cls.TYPE is not None
    if cls.TYPE in MAP_TYPES:
        _CLASSES[MAP_TYPES[cls.TYPE]] = cls
    return cls


def map_class(type: str | int) -> type[Map]:
    """The class of a map type (``Map`` itself for kinds without a class)."""
    number = A.map_type(type)
    cls = _CLASSES.get(number)
    if cls is None:
        from . import variants  # noqa: F401 - registers its kinds (lazy: start-up)

        cls = _CLASSES.get(number)
    if cls is None:
        from . import special, storage  # noqa: F401 - register their kinds (lazy: start-up)

        cls = _CLASSES.get(number, Map)
    return cls
