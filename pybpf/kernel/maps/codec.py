"""Codecs: how map keys and values travel between Python objects and kernel bytes.

A `Codec` has a fixed ``size`` and two functions, ``encode(obj) -> bytes`` and
``decode(bytes) -> obj``. `codec_for` builds one from what users naturally
have at hand:

============================  ===========================================  ==================
spec                          encode accepts                               decode returns
============================  ===========================================  ==================
None                          bytes-like of exactly ``size``, or an int    bytes
``int``                       int (little-endian, signed or unsigned)      int (unsigned)
``"<IQ"`` (struct format)     a tuple (or one value for one-field formats)  tuple / value
a ctypes type                 an instance (or bytes)                       an instance
a numpy dtype                 a numpy scalar/record/tuple (or bytes)       a numpy scalar/record
a `Codec`                     (used as is)
============================  ===========================================  ==================

Every mismatch (wrong length, int out of range, wrong type) raises
`CodecError` naming the field (``key``/``value``) and the expected size.

>>> c = codec_for(int, 4, "key")
>>> c.encode(258), c.decode(b"\\x02\\x01\\x00\\x00")
(b'\\x02\\x01\\x00\\x00', 258)
>>> codec_for("<HH", 4, "value").decode(b"\\x01\\x00\\x02\\x00")
(1, 2)
"""
from __future__ import annotations

import struct
import sys

from ...errors import PybpfError

TYPE_CHECKING = False  # (not typing's: maps are on every probe's start-up path)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["Codec", "CodecError", "codec_for", "spec_size"]


class CodecError(PybpfError, ValueError):
    """A key or value cannot be converted to or from the map's bytes.

    ``field`` is ``"key"`` or ``"value"``.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class Codec:
    """Converts objects to exactly ``size`` bytes and back."""

    __slots__ = ("size", "field", "encode", "decode", "name", "dtype")

    def __init__(self, size: int, field: str, encode: Callable[[Any], bytes],
                 decode: Callable[[bytes], Any], name: str, dtype: Any = None) -> None:
        self.size = size
        self.field = field
        self.encode = encode
        self.decode = decode
        self.name = name
        #: the numpy dtype of numpy codecs (None otherwise)
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"Codec({self.name}, size={self.size})"


def _int_to_bytes(value: int, size: int, field: str) -> bytes:
    if not -(1 << (8 * size - 1)) <= value < (1 << (8 * size)):
        raise CodecError(field, f"integer {value} does not fit in {size} bytes")
    return (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


def _raw(size: int, field: str) -> Codec:
    def encode(obj: Any) -> bytes:
        if isinstance(obj, (bytes, bytearray, memoryview)):
            data = bytes(obj)
            if len(data) != size:
                raise CodecError(field, f"expected {size} bytes, got {len(data)}")
            return data
        if isinstance(obj, int) and not isinstance(obj, bool):
            return _int_to_bytes(obj, size, field)
        raise CodecError(field, f"expected bytes of length {size} or an int, got "
                         f"{type(obj).__name__} (give key_type=/value_type= to use other types)")

    return Codec(size, field, encode, bytes, "bytes")


def _int(size: int, field: str) -> Codec:
    if size not in (1, 2, 4, 8, 16):
        raise CodecError(field, f"int codec needs a size of 1, 2, 4, 8 or 16 bytes, not {size}")
    raw = _raw(size, field).encode

    def encode(obj: Any) -> bytes:
        try:
            return obj.to_bytes(size, "little")  # the common case: a non-negative int that fits
        except (OverflowError, AttributeError, TypeError):
            return raw(obj)  # negative ints, bytes, and the errors

    def decode(data: bytes, _from: Any = int.from_bytes) -> int:
        return _from(data, "little")

    return Codec(size, field, encode, decode, "int")


def _struct(fmt: str, field: str) -> Codec:
    try:
        st = struct.Struct(fmt)
    except struct.error as e:
        raise CodecError(field, f"bad struct format {fmt!r}: {e}") from None
    single = len(st.unpack(bytes(st.size))) == 1

    def encode(obj: Any) -> bytes:
        if isinstance(obj, (bytes, bytearray, memoryview)) and len(obj) == st.size:
            return bytes(obj)
        try:
            return st.pack(obj) if single and not isinstance(obj, tuple) else st.pack(*obj)
        except (struct.error, TypeError) as e:
            raise CodecError(field, f"cannot pack {obj!r} with format {fmt!r}: {e}") from None

    if single:
        def decode(data: bytes) -> Any:
            return st.unpack(data)[0]
    else:
        def decode(data: bytes) -> Any:
            return st.unpack(data)

    return Codec(st.size, field, encode, decode, f"struct {fmt!r}")


def _ctypes(ctype: type, field: str) -> Codec:
    import ctypes  # lazy: only a ctypes key or value type needs it (and then it is loaded)

    size = ctypes.sizeof(ctype)

    def encode(obj: Any) -> bytes:
        if isinstance(obj, ctype):
            return bytes(obj)  # type: ignore[call-overload]  # a ctypes instance is a buffer; typeshed's bytes() does not say so
        if isinstance(obj, (bytes, bytearray, memoryview)) and len(obj) == size:
            return bytes(obj)
        try:
            return bytes(ctype(obj))  # simple types: c_uint32(5)
        except TypeError as e:
            raise CodecError(field, f"expected {ctype.__name__}, got {type(obj).__name__}: {e}") from None

    def decode(data: bytes) -> Any:
        value = ctype.from_buffer_copy(data)  # type: ignore[attr-defined]  # any ctypes type, typed as `type` here
        return value.value if isinstance(value, ctypes._SimpleCData) else value

    return Codec(size, field, encode, decode, f"ctypes {ctype.__name__}")


def _numpy(dtype: Any, field: str) -> Codec:
    import numpy as np  # lazy: numpy is optional (pybpf[numpy])

    dt = np.dtype(dtype)

    def encode(obj: Any) -> bytes:
        if isinstance(obj, (bytes, bytearray, memoryview)) and len(obj) == dt.itemsize:
            return bytes(obj)
        try:
            return np.array(obj, dtype=dt).tobytes()
        except (TypeError, ValueError) as e:
            raise CodecError(field, f"cannot convert {obj!r} to {dt}: {e}") from None

    def decode(data: bytes) -> Any:
        return np.frombuffer(data, dtype=dt)[0]

    return Codec(dt.itemsize, field, encode, decode, f"numpy {dt}", dt)


def _is_ctypes_type(spec: type) -> bool:
    ctypes = sys.modules.get("ctypes")  # a ctypes type exists only once ctypes is imported
    return ctypes is not None and issubclass(spec, (ctypes._SimpleCData, ctypes.Structure,
                                                    ctypes.Union, ctypes.Array))


def _is_numpy_dtype(spec: Any) -> bool:
    mod = type(spec).__module__
    return mod.startswith("numpy") or (isinstance(spec, type) and spec.__module__.startswith("numpy"))


def spec_size(spec: Any, field: str) -> int | None:
    """The byte size a key/value spec implies (None when the spec has no size: None, int)."""
    if spec is None or spec is int:
        return None
    return codec_for(spec, None, field).size


def codec_for(spec: Any, size: int | None, field: str) -> Codec:
    """Build the codec of ``spec`` for a field of ``size`` bytes (see the module table).

    When both are given, the spec's own size must equal ``size``.
    """
    if isinstance(spec, Codec):
        codec = spec
    elif spec is None or spec is bytes:
        if size is None:
            raise CodecError(field, "a size is needed for raw bytes")
        return _raw(size, field)
    elif spec is int:
        if size is None:
            raise CodecError(field, "a size is needed for int")
        return _int(size, field)
    elif isinstance(spec, str):
        codec = _struct(spec, field)
    elif isinstance(spec, type) and _is_ctypes_type(spec):
        codec = _ctypes(spec, field)
    elif _is_numpy_dtype(spec):
        codec = _numpy(spec, field)
    else:
        raise CodecError(field, f"unsupported type spec {spec!r}: use None (bytes), int, a struct "
                         "format string, a ctypes type or a numpy dtype")
    if size is not None and codec.size != size:
        raise CodecError(field, f"{codec.name} is {codec.size} bytes but the map's {field} size is {size}")
    return codec
