"""Hypothesis strategies for the contexts of tracing programs, and for map contents.

- `tracepoint_contexts`: a tracepoint's record laid out by its ``format`` file (tracefs):
  integers by size and sign with their edge values, ``char *`` fields pointing at
  strings in user memory (lengths at buffer sizes and one either side drawn often),
  other pointers NULL, unmapped or to zeroed memory, ``__data_loc`` strings in the
  record itself; a test overrides any field (``fields={"ret": st.integers(-4095, 1 << 20)}``);
- `raw_tracepoint_contexts`: the ``u64 args[]`` array a raw tracepoint program gets;
- `perf_event_contexts`: ``struct bpf_perf_event_data`` (``pt_regs``, sample period, address);
- `map_contents`: ``{key: value}`` bytes that fit a map's spec.

A drawn context is a `Context`: the record's bytes plus the `pybpf.vm.image.MemoryImage`
its pointers point into (the VM runner adds it to the VM's memory before the run; each
context's strings get addresses of their own, so a pointer an entry probe saved still
reads its string when the exit probe runs with another context).

>>> from hypothesis import find
>>> ctx = find(tracepoint_contexts("syscalls/sys_enter_openat", format=EXAMPLE_FORMAT),
...            lambda c: len(c.strings["filename"]) == 127)
>>> len(ctx), ctx.image.read(ctx.values["filename"], 3), ctx.image.space_of(ctx.values["filename"])
(32, b'aaa', 'user')
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from ..vm.image import USER_BASE, MemoryImage

#: Part of a format file, for the examples in the docstrings (tests read tracefs).
EXAMPLE_FORMAT = """name: sys_enter_openat
ID: 782
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;

print fmt: ""
"""
#: Lengths of strings drawn often: empty, buffer sizes (16, 64, 128, 256, 4096) and one
#: either side of each.
EDGE_LENGTHS = (0, 1, 15, 16, 17, 63, 64, 65, 126, 127, 128, 129, 255, 256, 257)
#: An address where nothing is mapped in user memory (reads fault with -EFAULT).
UNMAPPED_USER = 0x7FFF_DEAD_0000
#: Characters of drawn paths: mostly path-like, sometimes any byte but NUL.
_PATH_CHARS = b"abcdefghijklmnopqrstuvwxyz0123456789/._-"
_PAGE = 0x1000
#: Next free user address: every drawn context gets its own pages, so the strings of
#: contexts run one after another (an entry probe's, then an exit probe's) never collide.
_next_user = [USER_BASE]


def _user_address(size: int) -> int:
    addr = _next_user[0]
    _next_user[0] += (size + 2 * _PAGE - 1) // _PAGE * _PAGE
    if _next_user[0] >= UNMAPPED_USER:
        _next_user[0] = USER_BASE
    return addr


class Context(bytes):
    """A drawn context record: ``values`` by field name, ``strings`` the bytes a
    ``char *`` field points at, ``image`` the user/kernel memory behind its pointers."""

    def __new__(cls, data: bytes, values: dict[str, Any] | None = None,
                strings: dict[str, bytes] | None = None, image: MemoryImage | None = None,
                name: str = "") -> Context:
        obj = super().__new__(cls, data)
        obj.values = dict(values or {})
        obj.strings = dict(strings or {})
        obj.image = image if image is not None else MemoryImage()
        obj.name = name
        return obj

    values: dict[str, Any]
    strings: dict[str, bytes]
    image: MemoryImage
    name: str

    def __repr__(self) -> str:
        shown = {k: (self.strings[k] if k in self.strings else v) for k, v in self.values.items()}
        return f"Context({self.name or 'ctx'}: {shown!r})"


def ints(size: int, signed: bool) -> st.SearchStrategy[int]:
    """An integer of ``size`` bytes, its edge values (0, ±1, the limits) drawn often."""
    bits = 8 * size
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    edges = sorted({v for v in (0, 1, -1, 2, lo, hi, lo + 1, hi - 1) if lo <= v <= hi},
                   key=abs)
    return st.one_of(st.sampled_from(edges), st.integers(lo, hi))


def c_strings(max_len: int = 300, *, alphabet: bytes = _PATH_CHARS) -> st.SearchStrategy[bytes]:
    """Bytes without NUL, lengths at the `EDGE_LENGTHS` often, else up to ``max_len``."""
    lengths = st.one_of(st.sampled_from([n for n in EDGE_LENGTHS if n <= max_len]),
                        st.integers(0, max_len))
    chars = st.one_of(st.sampled_from(list(alphabet)), st.integers(1, 255))

    @st.composite
    def draw_string(draw: st.DrawFn) -> bytes:
        n = draw(lengths)
        if draw(st.integers(0, 3)) < 3:  # mostly one repeated byte: cheap to draw and to shrink
            return bytes([draw(chars)]) * n
        return bytes(draw(st.lists(chars, min_size=n, max_size=n)))
    return draw_string()


def _format(name: str, format: str | None) -> Any:
    from ..kernel import tracefs

    cat, _, ev = name.replace(":", "/").partition("/")
    if format is not None:
        return tracefs.parse_format(format, category=cat)
    return tracefs.tracepoint_format(cat, ev)


def tracepoint_contexts(name: str, *, fields: Mapping[str, Any] | None = None,
                        format: str | None = None, max_string: int = 300) -> st.SearchStrategy[Context]:
    """Records of tracepoint ``name`` (``"syscalls/sys_enter_openat"``) from its format
    file (tracefs; or ``format=`` text). ``fields`` maps a field name to a strategy or a
    constant; a ``char *`` field's override draws the *string* (bytes), not the pointer."""
    fmt = _format(name, format)
    overrides = dict(fields or {})
    unknown = set(overrides) - set(fmt.fields)
    if unknown:
        from ..errors import PybpfError

        raise PybpfError(f"tracepoint {name}: no field {', '.join(sorted(unknown))} (fields: "
                         f"{', '.join(f.name for f in fmt.record_fields)})")

    @st.composite
    def draw_ctx(draw: st.DrawFn) -> Context:
        values: dict[str, Any] = {}
        for f in fmt.record_fields:
            given = overrides.get(f.name)
            if isinstance(given, st.SearchStrategy):
                values[f.name] = draw(given)
            elif f.name in overrides:
                values[f.name] = given
            elif f.data_loc or (f.ctype.endswith("*") and "char" in f.ctype):
                values[f.name] = draw(c_strings(max_string))
            elif f.is_array:
                values[f.name] = draw(st.binary(min_size=f.size, max_size=f.size))
            elif f.ctype.endswith("*"):
                values[f.name] = draw(st.sampled_from([0, UNMAPPED_USER, "memory"]))
            else:
                values[f.name] = draw(ints(f.size, f.signed))
        return _build(fmt, values)
    return draw_ctx()


def tracepoint_context(name: str, values: Mapping[str, Any] | None = None, *,
                       format: str | None = None) -> Context:
    """One record of tracepoint ``name`` with ``values`` by field name (others zero): a
    ``char *`` field takes the string (bytes or str; None for a NULL pointer), another
    pointer an address or ``"memory"`` (64 zeroed bytes of user memory).

    >>> ctx = tracepoint_context("syscalls/sys_enter_openat", {"filename": "/etc/hosts"},
    ...                          format=EXAMPLE_FORMAT)
    >>> ctx.strings["filename"], ctx.image.read(ctx.values["filename"], 4)
    (b'/etc/hosts', b'/etc')
    """
    fmt = _format(name, format)
    values = dict(values or {})
    unknown = set(values) - set(fmt.fields)
    if unknown:
        from ..errors import PybpfError

        raise PybpfError(f"tracepoint {name}: no field {', '.join(sorted(unknown))} (fields: "
                         f"{', '.join(f.name for f in fmt.record_fields)})")
    return _build(fmt, values)


def _build(fmt: Any, given: Mapping[str, Any]) -> Context:
    image = MemoryImage()
    data = bytearray(fmt.size)
    values: dict[str, Any] = {}
    strings: dict[str, bytes] = {}
    tail = bytearray()
    for f in fmt.fields.values():
        if f.common:
            if f.name == "common_type":
                struct.pack_into("<H", data, f.offset, fmt.id & 0xFFFF)
            continue
        v = given.get(f.name)
        if f.data_loc:
            s = (v.encode() if isinstance(v, str) else bytes(v or b"")) + b"\0"
            loc = fmt.size + len(tail)
            tail += s
            struct.pack_into("<I", data, f.offset, (len(s) << 16) | loc)
            strings[f.name] = s[:-1]
            values[f.name] = loc
        elif f.is_array:
            raw = v.encode() if isinstance(v, str) else bytes(v or b"")
            data[f.offset:f.offset + f.size] = raw[:f.size].ljust(f.size, b"\0")
            values[f.name] = bytes(data[f.offset:f.offset + f.size])
        elif f.ctype.endswith("*"):
            if "char" in f.ctype and isinstance(v, (bytes, str)):
                raw = v.encode() if isinstance(v, str) else bytes(v)
                addr = image.string(raw, address=_user_address(len(raw) + 1))
                strings[f.name] = raw
            elif v == "memory":
                addr = image.add(bytes(64), name=f"{f.name} target", address=_user_address(64))
            else:
                addr = int(v or 0)
            struct.pack_into("<Q", data, f.offset, addr & ((1 << 64) - 1))
            values[f.name] = addr
        else:
            n = int(v or 0)
            data[f.offset:f.offset + f.size] = (n & ((1 << (8 * f.size)) - 1)).to_bytes(f.size, "little")
            values[f.name] = n
    return Context(bytes(data + tail), values, strings, image, fmt.name)


def raw_tracepoint_contexts(*args: Any, nargs: int | None = None) -> st.SearchStrategy[Context]:
    """``u64 args[]`` for a raw tracepoint: one strategy (or constant) per argument, or
    ``nargs`` 64-bit values with edge values drawn often."""
    parts = [a if isinstance(a, st.SearchStrategy) else st.just(a) for a in args]
    if not parts:
        parts = [ints(8, False) for _ in range(nargs or 6)]

    @st.composite
    def draw_args(draw: st.DrawFn) -> Context:
        vals = [draw(p) & ((1 << 64) - 1) for p in parts]
        return Context(struct.pack(f"<{len(vals)}Q", *vals),
                       {f"args[{i}]": v for i, v in enumerate(vals)}, name="raw_tracepoint")
    return draw_args()


#: x86-64 ``struct pt_regs`` register names in order (168 bytes).
PT_REGS = ("r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx",
           "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss")


def perf_event_contexts(*, regs: Mapping[str, Any] | None = None,
                        sample_period: Any = None, addr: Any = None) -> st.SearchStrategy[Context]:
    """``struct bpf_perf_event_data``: ``pt_regs`` (x86-64), ``sample_period``, ``addr``.
    Registers not given draw 64-bit values; ``ip`` a user or kernel text address."""
    given = dict(regs or {})
    unknown = set(given) - set(PT_REGS)
    if unknown:
        from ..errors import PybpfError

        raise PybpfError(f"perf_event_contexts: no register {', '.join(sorted(unknown))} "
                         f"(pt_regs has {', '.join(PT_REGS)})")

    def strat(v: Any, default: st.SearchStrategy[int]) -> st.SearchStrategy[int]:
        if v is None:
            return default
        return v if isinstance(v, st.SearchStrategy) else st.just(v)

    ip = st.one_of(st.sampled_from([0x401000, 0xFFFFFFFF81000000]), ints(8, False))

    @st.composite
    def draw_perf(draw: st.DrawFn) -> Context:
        vals = {r: draw(strat(given.get(r), ip if r == "ip" else ints(8, False))) for r in PT_REGS}
        period = draw(strat(sample_period, st.sampled_from([1, 100, 10007, 1 << 20])))
        where = draw(strat(addr, ints(8, False)))
        data = struct.pack("<21Q", *(vals[r] & ((1 << 64) - 1) for r in PT_REGS))
        data += struct.pack("<QQ", period, where & ((1 << 64) - 1))
        return Context(data, {**vals, "sample_period": period, "addr": where}, name="perf_event")
    return draw_perf()


def _spec_sizes(spec: Any) -> tuple[str, int, int, int]:
    """(type, key size, value size, max entries) of a MapSpec, MapSpec, VM or kernel map."""
    decl = spec.decl(getattr(spec, "name", None) or "map") if hasattr(spec, "decl") else spec
    mtype = getattr(decl, "type", None) or getattr(decl, "kind", "hash")
    return (str(mtype).lower().removeprefix("bpf_map_type_"), int(decl.key_size),
            int(decl.value_size), int(decl.max_entries))


def map_contents(spec: Any, *, max_size: int | None = None,
                 keys: st.SearchStrategy[bytes] | None = None,
                 values: st.SearchStrategy[bytes] | None = None) -> st.SearchStrategy[dict[bytes, bytes]]:
    """``{key: value}`` bytes that fit map ``spec`` (a `MapSpec`, kernel ``MapSpec``, a VM
    or kernel map, a DSL map): keys and values of its sizes, at most ``max_entries`` (or
    ``max_size``) of them, array keys below ``max_entries``.

    >>> from hypothesis import find
    >>> from pybpf.isa import MapSpec
    >>> find(map_contents(MapSpec("m", "array", 4, 8, 4)), lambda d: len(d) == 2)
    {b'\\x00\\x00\\x00\\x00': b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00', b'\\x01\\x00\\x00\\x00': b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'}
    """
    mtype, ksize, vsize, entries = _spec_sizes(spec)
    limit = min(entries, max_size) if max_size is not None else min(entries, 64)
    if keys is None:
        if "array" in mtype:
            keys = st.integers(0, max(entries - 1, 0)).map(lambda i: i.to_bytes(ksize, "little"))
        else:
            keys = st.binary(min_size=ksize, max_size=ksize)
    if values is None:
        values = st.binary(min_size=vsize, max_size=vsize)
    return st.dictionaries(keys, values, max_size=limit)
