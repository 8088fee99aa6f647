"""The events an object's programs send (ring and perf buffers), decoded by their C struct.

A ring buffer has no value type, so the struct a program reserves in it (``struct event *e =
bpf_ringbuf_reserve(&events, sizeof(*e), 0)``) is found from the object's types: the debug
info clang writes with ``-g`` (DWARF: every struct the program uses, locals included), then
its BTF. A record is decoded by the struct of its exact size, preferring a struct whose name
says ``event``; ``char`` arrays become strings, other arrays lists, nested structs dicts.

`run_object` is ``pybpf trace OBJ.o``: open, set globals, load, attach by ``SEC()`` names,
print one line per event until Ctrl-C, SIGTERM or the duration.

>>> lay = Layout("event", 8, [Field("pid", 0, "int", 4), Field("comm", 4, "str", 4)])
>>> lay.decode(b"\\x2a\\x00\\x00\\x00sh\\x00\\x00")
{'pid': 42, 'comm': 'sh'}
>>> lay.text({'pid': 42, 'comm': 'sh'})
'pid=42 comm=sh'
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ElfError, PybpfError

__all__ = ["Field", "Layout", "object_layouts", "run_object"]


@dataclass
class Field:
    """One member: ``kind`` is ``int`` (``size`` bytes, ``signed``), ``str`` (a char array),
    ``array`` (``count`` elements of ``elem``) or ``struct`` (``layout``)."""

    name: str
    offset: int
    kind: str
    size: int
    signed: bool = False
    count: int = 0
    elem: Field | None = None
    layout: Layout | None = None

    def decode(self, raw: bytes) -> Any:
        chunk = raw[self.offset:self.offset + self.size]
        if self.kind == "int":
            return int.from_bytes(chunk, "little", signed=self.signed)
        if self.kind == "str":
            return chunk.split(b"\0", 1)[0].decode(errors="replace")
        if self.kind == "struct" and self.layout is not None:
            return self.layout.decode(chunk)
        if self.kind == "array" and self.elem is not None:
            es = self.elem.size
            return [self.elem.decode(chunk[i * es:(i + 1) * es]) for i in range(self.count)]
        return chunk.hex()


@dataclass
class Layout:
    """A C struct: its name, size and members."""

    name: str
    size: int
    fields: list[Field] = field(default_factory=list)

    def decode(self, raw: bytes) -> dict[str, Any]:
        raw = bytes(raw).ljust(self.size, b"\0")
        return {f.name: f.decode(raw) for f in self.fields}

    def text(self, values: dict[str, Any]) -> str:
        return " ".join(f"{k}={_text(v)}" for k, v in values.items())


def _text(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + " ".join(f"{k}={_text(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(_text(x) for x in v) + "]"
    return str(v)


# -- DWARF -----------------------------------------------------------------------------------
def _dwarf_layouts(elf: Any) -> list[Layout]:
    if not elf.has_dwarf_info():
        return []
    try:
        dwarf = elf.get_dwarf_info(relocate_dwarf_sections=False)
        dies = {die.offset: die for cu in dwarf.iter_CUs() for die in cu.iter_DIEs()}
    except Exception:  # noqa: BLE001 - unreadable debug info: fall back to BTF
        return []
    cache: dict[int, Any] = {}

    def ref(die: Any) -> Any:
        at = die.attributes.get("DW_AT_type")
        return dies.get(at.value + die.cu.cu_offset) if at is not None else None

    def strip(die: Any) -> Any:
        while die is not None and die.tag in ("DW_TAG_typedef", "DW_TAG_const_type",
                                               "DW_TAG_volatile_type", "DW_TAG_restrict_type"):
            die = ref(die)
        return die

    def size_of(die: Any) -> int:
        die = strip(die)
        if die is None:
            return 0
        if "DW_AT_byte_size" in die.attributes:
            return int(die.attributes["DW_AT_byte_size"].value)
        if die.tag == "DW_TAG_pointer_type":
            return 8
        if die.tag == "DW_TAG_array_type":
            return _count(die) * size_of(ref(die))
        return 0

    def _count(die: Any) -> int:
        n = 1
        for sub in die.iter_children():
            if sub.tag == "DW_TAG_subrange_type":
                if "DW_AT_count" in sub.attributes:
                    n *= int(sub.attributes["DW_AT_count"].value)
                elif "DW_AT_upper_bound" in sub.attributes:
                    n *= int(sub.attributes["DW_AT_upper_bound"].value) + 1
                else:
                    n = 0
        return n

    def member(name: str, offset: int, tdie: Any) -> Field:
        t = strip(tdie)
        size = size_of(t)
        if t is None:
            return Field(name, offset, "bytes", size)
        if t.tag == "DW_TAG_base_type":
            enc = int(t.attributes["DW_AT_encoding"].value) if "DW_AT_encoding" in t.attributes else 7
            return Field(name, offset, "int", size, signed=enc in (5, 6))  # DW_ATE_signed(_char)
        if t.tag in ("DW_TAG_pointer_type", "DW_TAG_enumeration_type"):
            return Field(name, offset, "int", size or 8)
        if t.tag == "DW_TAG_array_type":
            elem = strip(ref(t))
            n = _count(t)
            if elem is not None and elem.tag == "DW_TAG_base_type" and size_of(elem) == 1:
                return Field(name, offset, "str", n)
            e = member("", 0, ref(t))
            return Field(name, offset, "array", size, count=n, elem=e)
        if t.tag in ("DW_TAG_structure_type", "DW_TAG_union_type"):
            return Field(name, offset, "struct", size, layout=layout(t))
        return Field(name, offset, "bytes", size)

    def layout(die: Any) -> Layout:
        if die.offset in cache:
            return cache[die.offset]
        name = die.attributes["DW_AT_name"].value.decode() if "DW_AT_name" in die.attributes else ""
        lay = Layout(name, size_of(die))
        cache[die.offset] = lay
        for m in die.iter_children():
            if m.tag != "DW_TAG_member":
                continue
            mname = m.attributes["DW_AT_name"].value.decode() if "DW_AT_name" in m.attributes else ""
            loc = m.attributes.get("DW_AT_data_member_location")
            off = int(loc.value) if loc is not None and isinstance(loc.value, int) else 0
            lay.fields.append(member(mname, off, ref(m)))
        return lay

    return [layout(d) for d in dies.values()
            if d.tag == "DW_TAG_structure_type" and "DW_AT_name" in d.attributes
            and "DW_AT_byte_size" in d.attributes]


# -- BTF -----------------------------------------------------------------------------------------
def _btf_layouts(btf_bytes: bytes | None) -> list[Layout]:
    if not btf_bytes:
        return []
    from ..btf import Btf
    from ..btf import types as T

    btf = Btf(btf_bytes, name=".BTF")

    def member(name: str, offset: int, tid: int) -> Field:
        rid = btf.resolve(tid)
        rec = btf[rid]
        size = btf.size_of(rid) if rid else 0
        if isinstance(rec, T.Int):
            return Field(name, offset, "int", rec.size, signed=rec.signed)
        if isinstance(rec, (T.Ptr, T.Enum)):
            return Field(name, offset, "int", size or 8)
        if isinstance(rec, T.Array):
            elem = btf[btf.resolve(rec.type)]
            if isinstance(elem, T.Int) and elem.size == 1:
                return Field(name, offset, "str", rec.nelems)
            return Field(name, offset, "array", size, count=rec.nelems, elem=member("", 0, rec.type))
        if isinstance(rec, T.Composite):
            return Field(name, offset, "struct", size, layout=layout(rid))
        return Field(name, offset, "bytes", size)

    def layout(tid: int) -> Layout:
        rec = btf[tid]
        assert isinstance(rec, T.Composite)  # layout() is only called for structs and unions
        lay = Layout(rec.name, rec.size)
        for m in rec.members:
            lay.fields.append(member(m.name, m.bit_offset // 8, m.type))
        return lay

    return [layout(t.id) for t in btf if isinstance(t, T.Struct) and t.name]


def object_layouts(path: str, btf: bytes | None = None) -> list[Layout]:
    """Every named struct of the object ``path`` (DWARF first, then BTF), by name once."""
    from elftools.common.exceptions import ELFError as _E
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as f:
            found = _dwarf_layouts(ELFFile(f))
    except (OSError, _E) as e:
        raise ElfError(f"cannot read the object's types ({e})", path=path) from None
    names = {lay.name for lay in found}
    return found + [lay for lay in _btf_layouts(btf) if lay.name not in names]


def pick_layout(layouts: list[Layout], size: int) -> Layout | None:
    """The struct a record of ``size`` bytes holds: the one of that size (a name with "event"
    first; kernel types such as ``trace_event_raw_*`` last)."""
    fits = [lay for lay in layouts if lay.size == size]
    if not fits:
        return None
    fits.sort(key=lambda lay: ("event" not in lay.name.lower(), lay.name.startswith("trace_"),
                               lay.name))
    return fits[0]


# -- running ---------------------------------------------------------------------------------
def _set_global(obj: Any, assignment: str) -> None:
    name, sep, value = assignment.partition("=")
    if not sep:
        raise PybpfError(f"--set {assignment!r}: write VAR=VALUE")
    for section in (".rodata", ".data", ".bss"):
        if section in obj.spec.maps:
            g = obj.globals(section)
            if name in g:
                try:
                    g[name] = int(value, 0)
                except ValueError:
                    g[name] = value.encode()
                return
    raise PybpfError(f"--set {name}: the object has no global variable {name!r} in .rodata, "
                     ".data or .bss")


def _per_cpu(cb: Callable[[bytes], None]) -> Callable[[int, bytes], None]:
    """A perf buffer callback (cpu, record) calling ``cb(record)``."""
    return lambda _cpu, rec: cb(rec)


def run_object(path: str, *, programs: list[str] | None = None, sets: list[str] | None = None,
               follow: list[str] | None = None, as_json: bool = False,
               duration: float | None = None, out: Any = None) -> int:
    """``pybpf trace OBJ.o``: load, attach, print the events of its ring/perf buffers."""
    from ..kernel import PerfBufReader, RingBufReader
    from .loader import BpfObject

    out = out if out is not None else sys.stdout
    stop = {"now": False}

    def handler(signum: int, frame: Any) -> None:
        stop["now"] = True

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    readers: list[Any] = []
    try:
        with BpfObject.open(path) as obj:
            for s in sets or []:
                _set_global(obj, s)
            layouts = object_layouts(path, obj.spec.btf)
            obj.load()
            links = obj.attach(*(programs or []))
            buffers = {n: d for n, d in obj.spec.maps.items()
                       if d.type in ("ringbuf", "perf_event_array")}
            names = follow or list(buffers)
            for n in names:
                if n not in buffers:
                    raise PybpfError(f"--follow {n}: no ring or perf buffer of that name (the "
                                     f"object has: {', '.join(buffers) or 'none'})")
            chosen: dict[int, Layout | None] = {}

            def show(name: str, raw: Any) -> None:
                raw = bytes(raw)
                if len(raw) not in chosen:
                    chosen[len(raw)] = pick_layout(layouts, len(raw))
                lay = chosen[len(raw)]
                values = lay.decode(raw) if lay is not None else {"raw": raw.hex()}
                if as_json:
                    out.write(json.dumps({"map": name, **values}) + "\n")
                else:
                    out.write(lay.text(values) + "\n" if lay is not None else f"{raw.hex()}\n")
                out.flush()

            for n in names:
                cb = (lambda name: lambda rec: show(name, rec))(n)
                if buffers[n].type == "ringbuf":
                    readers.append(RingBufReader(obj.maps[n], cb, as_bytes=True))
                else:
                    readers.append(PerfBufReader(obj.maps[n], _per_cpu(cb), as_bytes=True))
            attached = ", ".join(f"{lk_name}" for lk_name in links)
            print(f"attached {attached or 'nothing'}; Ctrl-C to stop", file=sys.stderr, flush=True)
            end = None if duration is None else time.monotonic() + duration
            while not stop["now"] and (end is None or time.monotonic() < end):
                if not readers:
                    time.sleep(0.1)
                for r in readers:
                    r.poll(100 if len(readers) == 1 else 10)
            for r in readers:
                r.poll(0)
    finally:
        for r in readers:
            r.close()
        for sig, h in old.items():
            signal.signal(sig, h)
    return 0
