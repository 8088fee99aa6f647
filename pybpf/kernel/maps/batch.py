"""Batch operations of `Map` (``BPF_MAP_LOOKUP_BATCH``, ``UPDATE_BATCH``, ``DELETE_BATCH``,
``LOOKUP_AND_DELETE_BATCH``), with a per-key fallback for kinds the kernel has no batch
support for: `BatchOps`, whose methods are `pybpf.kernel.maps.Map`'s (put on it at the
first batch call: a map's start-up loads none of this module).

>>> m.update_batch({1: 10, 2: 20}); sorted(m.lookup_batch())      # doctest: +SKIP
[(1, 10), (2, 20)]
"""
from __future__ import annotations

import errno
import sys
from itertools import chain

from ... import uapi as A
from ..._sequence import SequenceMethods
from ...errors import KernelError
from ...uapi import BATCH
from ..syscall import Cmd, address, bpf
from .codec import CodecError

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence
    from typing import Any, ClassVar, Literal

_ENOTSUPP = 524
#: the most bytes of keys and values one batch call reads when no batch size is given
_BATCH_BYTES = 16 << 20
_INT_FORMATS: dict[tuple[str, int], Literal["B", "H", "I", "Q"]] = {("int", 1): "B", ("int", 2): "H", ("int", 4): "I", ("int", 8): "Q"}


def _contiguous(buf: Any, field: str) -> memoryview:
    """A flat byte view of any contiguous buffer (bytes, bytearray, array, numpy array)."""
    try:
        view = memoryview(buf)
    except TypeError:
        raise CodecError(field, f"batch {field}s must be a buffer (bytes, bytearray, numpy array), "
                         f"got {type(buf).__name__}") from None
    if not view.c_contiguous:
        raise CodecError(field, f"batch {field}s must be a C-contiguous buffer")
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def _batchdict_fill() -> Any:
    """``pybpf._batchdict.fill`` (src_c/pyext/batchdict.c), or None when that extension was
    not built (then dicts are filled from memoryview casts, the same answer)."""
    global _FILL
    if _FILL is None:
        try:
            from ..._batchdict import fill  # lazy: the compiled module loads on first use
            _FILL = fill
        except ImportError:
            _FILL = False
    return _FILL or None


_FILL: Any = None


def _dtype_of(codec: Any, size: int) -> Any:
    import numpy as np  # lazy: numpy is optional (pybpf[numpy])

    if codec.dtype is not None:
        return codec.dtype
    if codec.name == "int" and size in (1, 2, 4, 8):
        return np.dtype(f"<u{size}")
    return np.dtype((np.void, size))



class BatchItems(SequenceMethods):
    """The ``(key, value)`` pairs one batch lookup read: a read-only sequence whose pairs
    are decoded as they are read (`Map.lookup_batch` returns one).

    The entries are kept as the kernel wrote them (keys and values in two columns: for
    integer codecs, views of the buffers the kernel filled), so ``dict(items)`` iterates
    the two columns in C, as ``dict(zip(keys, values))`` does, without keeping a tuple per
    entry. ``len``, indexing, ``==`` against any sequence of pairs, and ``repr`` behave as
    a list's; each iteration decodes again (``list(items)`` keeps the tuples).

    ``in``, ``index``, ``count`` and ``reversed`` come from `pybpf._sequence.SequenceMethods`
    (no `collections.abc.Sequence` base: maps are on a start-up path).

    >>> items = BatchItems([([1, 2], [10, 20]), ([3], [30])])
    >>> dict(items), len(items), items[-1], items == [(1, 10), (2, 20), (3, 30)]
    ({1: 10, 2: 20, 3: 30}, 3, (3, 30), True)
    """

    __slots__ = ("_parts", "_len")

    def __init__(self, parts: list[tuple[Sequence[Any], Sequence[Any]]]) -> None:
        """``parts``: ``(keys, values)`` columns of equal length, one per batch read."""
        for ks, vs in parts:
            if len(ks) != len(vs):
                raise ValueError(f"a batch of {len(ks)} keys has {len(vs)} values")
        self._parts = parts
        self._len = sum(len(ks) for ks, _ in parts)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        parts = self._parts
        if len(parts) == 1:
            return zip(*parts[0], strict=True)
        return chain.from_iterable(zip(ks, vs, strict=True) for ks, vs in parts)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return list(self)[index]
        try:
            i = index.__index__()
        except AttributeError:
            raise TypeError("BatchItems indices must be integers or slices, not "
                            f"{type(index).__name__}") from None
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("BatchItems index out of range")
        for ks, vs in self._parts:
            if i < len(ks):
                return ks[i], vs[i]
            i -= len(ks)
        raise AssertionError("unreachable: lengths are checked")  # pragma: no cover

    def __bool__(self) -> bool:
        return self._len > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (BatchItems, list, tuple)):
            return len(other) == self._len and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (mutable peers compare equal: unhashable)

    def __repr__(self) -> str:
        return repr(list(self))

class BatchOps:
    """The batch half of the `Map` API (see `Map` for the attributes it relies on)."""

    # what the mixin reads of its host class, `Map` (declared for the type checker only)
    BATCH: ClassVar[bool]
    PER_CPU: ClassVar[bool]
    key_size: int
    key_codec: Any
    value_codec: Any
    max_entries: int
    value_size: int
    _stride: int
    _ncpu: int

    if TYPE_CHECKING:
        @property
        def fd(self) -> int: ...
        @property
        def _value_buf_size(self) -> int: ...
        def _detail(self) -> str: ...
        def _key(self, key: Any) -> bytes: ...
        def _value(self, value: Any) -> bytes: ...
        def _decode_value(self, raw: bytes) -> Any: ...
        def _elem(self, cmd: Cmd, key: bytes | None, value: bytearray | bytes | None,
                  flags: int = 0) -> int: ...
        def lookup_raw(self, key: bytes | None, flags: int = 0) -> bytes | None: ...
        def keys_raw(self) -> Iterator[bytes]: ...

    def lookup_batch_raw(self, batch_size: int | None = None, *, delete: bool = False,
                         elem_flags: int = 0) -> tuple[bytes, bytes, int]:
        """The whole map as ``(keys, values, count)``: two byte strings of ``count`` packed
        keys and (per-CPU-strided) values, read with ``BPF_MAP_LOOKUP_BATCH`` (or
        ``LOOKUP_AND_DELETE_BATCH`` with ``delete=True``), falling back to per-key calls for
        kinds without batch support.

        ``batch_size``: entries a call reads; by default the whole map (as many as fit in
        16 MiB of keys and values): each call costs the kernel a walk setup that is worth
        more than a few thousand entries' copies."""
        if not self.BATCH:
            return self._lookup_batch_fallback(delete)
        keys_out: list[bytes] = []
        values_out: list[bytes] = []
        total = 0
        ks, vs = self.key_size, self._value_buf_size
        for kbuf, vbuf, n in self._batches(batch_size, delete, elem_flags, bytearray):
            if n is None:
                return self._lookup_batch_fallback(delete)
            keys_out.append(bytes(memoryview(kbuf)[:n * ks]))
            values_out.append(bytes(memoryview(vbuf)[:n * vs]))
            total += n
        return b"".join(keys_out), b"".join(values_out), total

    def _batches(self, batch_size: int | None, delete: bool, elem_flags: int,
                 alloc: Any) -> Iterator[tuple[Any, Any, int | None]]:
        """``(keys, values, n)`` per ``BPF_MAP_LOOKUP(_AND_DELETE)_BATCH`` call, into buffers
        ``alloc(nbytes)`` makes (the kernel writes them; nothing is copied here); ``n`` None
        means the kernel has no batch calls for this map (nothing was read: fall back)."""
        cmd = Cmd.MAP_LOOKUP_AND_DELETE_BATCH if delete else Cmd.MAP_LOOKUP_BATCH
        fd, ks, vs = self.fd, self.key_size, self._value_buf_size
        if batch_size is None:  # the whole map in one call, if it fits in _BATCH_BYTES
            batch_size = max(1, _BATCH_BYTES // (ks + vs))
        chunk = max(1, min(batch_size, self.max_entries or batch_size))
        token_in = bytearray(max(8, ks))
        token_out = bytearray(max(8, ks))
        ia, ik = address(token_in)
        oa, ok = address(token_out)
        first = True
        while True:
            kbuf = alloc(chunk * ks)
            vbuf = alloc(chunk * vs)
            ka, kk = address(kbuf)
            va, vk = address(vbuf)
            attr = BATCH.new(in_batch=0 if first else ia, out_batch=oa, keys=ka, values=va,
                             count=chunk, map_fd=fd, elem_flags=elem_flags)
            done = False
            try:
                bpf(cmd, attr, detail=self._detail())
            except KernelError as e:
                if e.errno == errno.ENOENT:
                    done = True
                elif e.errno == errno.ENOSPC and chunk < (1 << 20):
                    chunk *= 2  # a hash bucket holds more entries than fit: grow and retry
                    continue
                elif e.errno in (errno.EINVAL, errno.EOPNOTSUPP, _ENOTSUPP) and first:
                    yield kbuf, vbuf, None
                    return
                else:
                    raise
            finally:
                del kk, vk
            n = int(BATCH.get(attr, "count"))
            if n:
                yield kbuf, vbuf, n
            if done:
                break
            token_in[:] = token_out
            first = False
        del ik, ok

    def _lookup_batch_fallback(self, delete: bool) -> tuple[bytes, bytes, int]:
        keys, values = [], []
        for raw in list(self.keys_raw()):
            v = self.lookup_raw(raw)
            if v is None:
                continue
            keys.append(raw)
            values.append(v)
            if delete:
                try:
                    self._elem(Cmd.MAP_DELETE_ELEM, raw, None)
                except KernelError as e:
                    if e.errno != errno.ENOENT:
                        raise
        return b"".join(keys), b"".join(values), len(keys)

    def lookup_batch(self, batch_size: int | None = None, *, delete: bool = False) -> BatchItems:
        """Every ``(key, value)`` pair, read in batches (see `lookup_batch_raw`), as a
        `BatchItems`: a sequence of pairs decoded as they are read, so that
        ``dict(m.lookup_batch())`` fills the dict in C without a tuple per entry."""
        ks, vs = self.key_size, self._value_buf_size
        kfmt, vfmt = _INT_FORMATS.get((self.key_codec.name, ks)), _INT_FORMATS.get((self.value_codec.name, vs))
        if kfmt and vfmt and self.BATCH and not self.PER_CPU and sys.byteorder == "little":
            # int keys and values: memoryview unpacks them in C, straight from the buffers
            # the kernel filled (no joined copy)
            parts: list[tuple[Sequence[Any], Sequence[Any]]] = []
            for kbuf, vbuf, n in self._batches(batch_size, delete, 0, bytearray):
                if n is None:
                    break
                parts.append((memoryview(kbuf).cast(kfmt)[:n], memoryview(vbuf).cast(vfmt)[:n]))
            else:
                return BatchItems(parts)
        kraw, vraw, n = self.lookup_batch_raw(batch_size, delete=delete)
        if kfmt and vfmt and not self.PER_CPU and sys.byteorder == "little":
            return BatchItems([(memoryview(kraw).cast(kfmt), memoryview(vraw).cast(vfmt))])
        kdec, vdec = self.key_codec.decode, self._decode_value
        return BatchItems([([kdec(kraw[i * ks:(i + 1) * ks]) for i in range(n)],
                            [vdec(vraw[i * vs:(i + 1) * vs]) for i in range(n)])])

    def lookup_batch_dict(self, batch_size: int | None = None, *, delete: bool = False) -> dict[Any, Any]:
        """Every entry as a dict ``{key: value}``, read in batches (see `lookup_batch_raw`).

        What ``dict(m.lookup_batch())`` gives, without a ``(key, value)`` tuple per entry:
        for integer keys and values the dict is filled in C (``pybpf._batchdict``), sized up
        front, straight from the buffers the kernel wrote; those buffers are kept by the map
        for its next call (``key_size + value_size`` bytes per entry read at once).

        >>> m.update_batch({1: 10, 2: 20}); m.lookup_batch_dict()      # doctest: +SKIP
        {1: 10, 2: 20}
        """
        ks, vs = self.key_size, self._value_buf_size
        kfmt = _INT_FORMATS.get((self.key_codec.name, ks))
        vfmt = _INT_FORMATS.get((self.value_codec.name, vs))
        if kfmt and vfmt and self.BATCH and not self.PER_CPU and sys.byteorder == "little":
            fill = _batchdict_fill()
            out: dict[Any, Any] = {}
            # the buffers are read out before the next call: one pair serves every call, and
            # the map keeps it for the next lookup_batch_dict (no fresh pages to fault in);
            # pop/set are atomic, so a thread reading at the same time makes its own pair
            pool = self.__dict__.pop("_batch_scratch", None) or [bytearray(0), bytearray(0)]
            turn = 0

            def scratch(nbytes: int) -> bytearray:
                nonlocal turn
                buf, turn = pool[turn], turn ^ 1
                if len(buf) < nbytes:
                    buf = pool[turn ^ 1] = bytearray(nbytes)
                return buf

            for kbuf, vbuf, n in self._batches(batch_size, delete, 0, scratch):
                if n is None:
                    break
                if fill is not None:  # the dict made in C, sized for n up front
                    ka, kk = address(kbuf)
                    va, vk = address(vbuf)
                    part = fill(ka, va, n, ks, vs, vs)
                    del kk, vk
                else:
                    part = zip(memoryview(kbuf).cast(kfmt)[:n], memoryview(vbuf).cast(vfmt)[:n], strict=True)
                if out:
                    out.update(part)
                else:
                    out = part if isinstance(part, dict) else dict(part)
            else:
                self.__dict__["_batch_scratch"] = pool
                return out
        return dict(self.lookup_batch(batch_size, delete=delete))

    def lookup_batch_arrays(self, batch_size: int | None = None, *, delete: bool = False) -> tuple[Any, Any]:
        """The whole map as two numpy arrays ``(keys, values)`` without a Python object per
        entry: dtypes come from numpy codecs, ``<uN`` for int codecs, else raw ``void``
        items; per-CPU values have shape ``(count, possible CPUs)``.

        >>> keys, values = m.lookup_batch_arrays()        # doctest: +SKIP
        """
        import numpy as np  # lazy: numpy is optional (pybpf[numpy])

        kd = _dtype_of(self.key_codec, self.key_size)
        vd = _dtype_of(self.value_codec, self.value_size)
        if self.BATCH:
            # the kernel writes straight into numpy's memory (no zeroing, no copy after)
            def alloc(nbytes: int) -> Any:
                return np.empty(nbytes, dtype=np.uint8)

            kparts, vparts = [], []
            for kbuf, vbuf, n in self._batches(batch_size, delete, 0, alloc):
                if n is None:
                    break
                kparts.append(kbuf[:n * self.key_size])
                vparts.append(vbuf[:n * self._value_buf_size])
            else:
                kraw_a = kparts[0] if len(kparts) == 1 else np.concatenate(kparts or [alloc(0)])
                vraw_a = vparts[0] if len(vparts) == 1 else np.concatenate(vparts or [alloc(0)])
                keys = kraw_a.view(kd)
                if not self.PER_CPU:
                    return keys, vraw_a.view(vd)
                return keys, self._per_cpu_array(vraw_a, vd, len(keys))
        kraw, vraw, n = self.lookup_batch_raw(batch_size, delete=delete)
        keys = np.frombuffer(kraw, dtype=kd)
        if not self.PER_CPU:
            return keys, np.frombuffer(vraw, dtype=vd)
        return keys, self._per_cpu_array(np.frombuffer(vraw, dtype=np.uint8), vd, n)

    def _per_cpu_array(self, raw: Any, vd: Any, n: int) -> Any:
        """Per-CPU values (each CPU's value at an 8-byte-aligned stride) as ``(n, ncpu)``."""
        import numpy as np  # lazy: numpy is optional (pybpf[numpy])

        strided = np.dtype({"names": ["v"], "formats": [vd], "offsets": [0], "itemsize": self._stride})
        return raw.view(strided)["v"].reshape(n, self._ncpu)

    def lookup_and_delete_batch(self, batch_size: int | None = None) -> BatchItems:
        """Read and remove every entry (``BPF_MAP_LOOKUP_AND_DELETE_BATCH``)."""
        return self.lookup_batch(batch_size, delete=True)

    def update_batch_raw(self, keys: bytes | bytearray | memoryview, values: bytes | bytearray | memoryview,
                         count: int, *, flags: int = 0, elem_flags: int = A.BPF_ANY) -> int:
        """Write ``count`` packed keys/values (``BPF_MAP_UPDATE_BATCH``); returns the number
        written. Lengths must be ``count * key_size`` and ``count * value stride``."""
        ks, vs = self.key_size, self._value_buf_size
        keys, values = _contiguous(keys, "key"), _contiguous(values, "value")
        if keys.nbytes != count * ks:
            raise CodecError("key", f"batch of {count} keys needs {count * ks} bytes, got {keys.nbytes}")
        if values.nbytes != count * vs:
            raise CodecError("value", f"batch of {count} values needs {count * vs} bytes, got {values.nbytes}")
        if count == 0:
            return 0
        if not self.BATCH:
            return self._update_fallback(keys, values, count, elem_flags)
        ka, kk = address(keys)
        va, vk = address(values)
        attr = BATCH.new(keys=ka, values=va, count=count, map_fd=self.fd, elem_flags=elem_flags,
                         flags=flags)
        try:
            bpf(Cmd.MAP_UPDATE_BATCH, attr, detail=self._detail())
        except KernelError as e:
            if e.errno in (errno.EINVAL, errno.EOPNOTSUPP, _ENOTSUPP) and \
                    int(BATCH.get(attr, "count")) == 0:
                return self._update_fallback(keys, values, count, elem_flags)
            raise
        finally:
            del kk, vk
        return int(BATCH.get(attr, "count"))

    def _update_fallback(self, keys: Any, values: Any, count: int, flags: int) -> int:
        ks, vs = self.key_size, self._value_buf_size
        for i in range(count):
            self._elem(Cmd.MAP_UPDATE_ELEM, bytes(keys[i * ks:(i + 1) * ks]),
                       bytes(values[i * vs:(i + 1) * vs]), flags)
        return count

    def update_batch(self, items: Mapping[Any, Any] | Iterable[tuple[Any, Any]], *,
                     flags: int = A.BPF_ANY) -> int:
        """Write many entries at once; ``items`` is a mapping or ``(key, value)`` pairs."""
        from collections.abc import Mapping  # lazy: start-up

        pairs = list(items.items() if isinstance(items, Mapping) else items)
        keys = b"".join(self._key(k) for k, _ in pairs)
        values = b"".join(self._value(v) for _, v in pairs)
        return self.update_batch_raw(keys, values, len(pairs), elem_flags=flags)

    def delete_batch_raw(self, keys: bytes | bytearray | memoryview, count: int) -> int:
        """Delete ``count`` packed keys (``BPF_MAP_DELETE_BATCH``); returns the number deleted."""
        ks = self.key_size
        keys = _contiguous(keys, "key")
        if keys.nbytes != count * ks:
            raise CodecError("key", f"batch of {count} keys needs {count * ks} bytes, got {keys.nbytes}")
        if count == 0:
            return 0
        if self.BATCH:
            ka, kk = address(keys)
            attr = BATCH.new(keys=ka, count=count, map_fd=self.fd)
            try:
                bpf(Cmd.MAP_DELETE_BATCH, attr, detail=self._detail())
                return int(BATCH.get(attr, "count"))
            except KernelError as e:
                if e.errno not in (errno.EINVAL, errno.EOPNOTSUPP, _ENOTSUPP) or \
                        int(BATCH.get(attr, "count")) != 0:
                    raise
            finally:
                del kk
        done = 0
        for i in range(count):
            try:
                self._elem(Cmd.MAP_DELETE_ELEM, bytes(keys[i * ks:(i + 1) * ks]), None)
                done += 1
            except KernelError as e:
                if e.errno != errno.ENOENT:
                    raise
        return done

    def delete_batch(self, keys: Iterable[Any]) -> int:
        """Delete many keys at once; returns the number deleted."""
        encoded = [self._key(k) for k in keys]
        return self.delete_batch_raw(b"".join(encoded), len(encoded))


