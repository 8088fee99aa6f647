"""From a probe file's maps to metric plans: which map becomes which metric family, with
which labels cut from which key bytes, and which value fields.

`plan_metrics` applies the file's ``METRICS`` declarations (`pybpf.export.spec`) and the
defaults read from how its probes use each map (`pybpf.export.usage`):

============================  ==============================================================
map                           default
============================  ==============================================================
``Histogram`` (``log2``)      histogram ``<file>_<map>``, log2 buckets
only ``m[k] += n``            counter ``<file>_<map>_total``
``m[k] = v`` (no ``del``)     gauge ``<file>_<map>``
``del m[k]`` anywhere         not exported (the probe's working state)
not written by a probe        not exported (configuration)
ring/perf buffers, stacks     not exported (events, not metrics)
============================  ==============================================================

Labels come from the key: a struct key gives one label per field (named after it), a
scalar key one label named after the helper that made it (``m[comm()]`` -> ``comm``,
``m[pid()]`` -> ``pid`` and ``process``) or ``key``; an array map of more than one slot
is labelled ``index``. A struct value gives one family per integer field.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ExportError
from .labels import Decoder, decoder, infer
from .spec import Buckets, MetricSpec, counter, gauge, histogram
from .usage import KEY_HELPERS, MapUse, map_usage

__all__ = ["KeyPart", "ValueField", "MapPlan", "plan_metrics", "object_plans", "metric_prefix"]

_NOT_METRICS = ("ringbuf", "perf_event_array", "stack_trace")


@dataclass(frozen=True)
class KeyPart:
    """Bytes ``[offset, offset + size)`` of the key, shown as ``labels`` by ``decoder``."""

    labels: tuple[str, ...]
    offset: int
    size: int
    decoder: Decoder


@dataclass(frozen=True)
class ValueField:
    """One integer of the value: its metric name, offset, size, signedness."""

    metric: str
    offset: int
    size: int
    signed: bool = False


@dataclass
class MapPlan:
    """How one map is read and shown (what `pybpf.export.collector` needs)."""

    map_name: str
    kind: str  # counter | gauge | histogram
    help: str
    parts: list[KeyPart]
    values: list[ValueField]
    key_size: int
    percpu: bool
    scale: float = 1.0
    buckets: Buckets | None = None
    bucket_part: KeyPart | None = None  # keyed histograms: the slot
    sum_map: str | None = None
    is_array: bool = False
    spec: MetricSpec | None = field(default=None, repr=False)

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(n for p in self.parts for n in p.labels)

    @property
    def pure_keys(self) -> bool:
        return all(p.decoder.pure for p in self.parts)


def metric_prefix(path: str) -> str:
    """``examples/syscount.py`` -> ``syscount`` (a valid Prometheus name start)."""
    stem = re.sub(r"\.py$", "", path.rsplit("/", 1)[-1])
    stem = re.sub(r"[^a-zA-Z0-9_]", "_", stem)
    return stem if re.match(r"[a-zA-Z_]", stem) else f"probe_{stem}"


def _declared(module: Any, maps: Mapping[str, Any], filename: str) -> dict[str, MetricSpec | None]:
    raw = getattr(module, "METRICS", None)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ExportError(f"METRICS must be a dict from map to counter()/gauge()/histogram() or None, "
                          f"got {type(raw).__name__}", filename=filename)
    by_obj = {id(m): n for n, m in maps.items()}
    out: dict[str, MetricSpec | None] = {}
    for k, v in raw.items():
        name = k if isinstance(k, str) else by_obj.get(id(k))
        if name is None or name not in maps:
            known = ", ".join(sorted(maps)) or "none"
            raise ExportError(f"METRICS names {k!r}, which is not a map of this probe (maps: {known})",
                              filename=filename)
        if v is not None and not isinstance(v, MetricSpec):
            raise ExportError(f"METRICS[{name!r}] must be counter(...), gauge(...), histogram(...) "
                              f"or None, got {v!r}", filename=filename, map=name)
        out[name] = v
    return out


def _module_usage(module: Any) -> dict[str, MapUse]:
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return {}
    return map_usage(source)


def _default(m: Any, use: MapUse | None) -> MetricSpec | None:
    from ..dsl.maps import Histogram

    kind = getattr(m, "kind", "")
    if kind in _NOT_METRICS:
        return None
    if isinstance(m, Histogram):
        return histogram()
    ops = use.ops if use is not None else set()
    if "del" in ops or not ops & {"add", "set", "log2"}:
        return None
    if "log2" in ops:
        return histogram()
    return counter() if ops <= {"add", "read"} else gauge()


def _int_fields(value: Any) -> list[tuple[str, int, Any]]:
    """(name, offset, IntType) of a value: one unnamed int, or a struct's int fields."""
    from ..dsl.types import IntType, is_struct

    if isinstance(value, IntType):
        return [("", 0, value)]
    if is_struct(value):
        return [(f.name, f.offset, f.type) for f in value.fields() if isinstance(f.type, IntType)]
    return []


def _key_parts(key: Any, spec: MetricSpec, use: MapUse | None, *, is_array: bool, entries: int,
               filename: str, name: str) -> tuple[list[KeyPart], KeyPart | None]:
    from ..dsl.types import is_struct

    def bad(msg: str) -> ExportError:
        return ExportError(msg, filename=filename, map=name)

    if key is None or (is_array and entries <= 1):
        if spec.labels:
            raise bad(f"labels {list(spec.labels)} given, but this map has a single value (no key)")
        return [], None
    if is_array and spec.kind == "histogram" and spec.bucket is None:
        return [], None  # the index is the slot
    if is_struct(key):
        fields = [(f.name, f.offset, f.type) for f in key.fields()]
    else:
        helper = use.key_helper if use is not None else None
        default = KEY_HELPERS[helper][0] if helper else ("index" if is_array else "key")
        fields = [(default, 0, key)]
    bucket_part = None
    if spec.bucket is not None:
        match = [f for f in fields if f[0] == spec.bucket]
        if not match:
            raise bad(f"bucket field {spec.bucket!r} is not a field of the key "
                      f"({', '.join(f[0] for f in fields)})")
        fname, off, typ = match[0]
        bucket_part = KeyPart((), off, typ.size, decoder("int", typ))
        fields = [f for f in fields if f[0] != spec.bucket]
    names = list(spec.labels) if spec.labels is not None else [f[0] for f in fields]
    if len(names) != len(fields):
        raise bad(f"{len(names)} label names ({', '.join(names)}) for a key of {len(fields)} "
                  f"part(s) ({', '.join(f[0] for f in fields)})")
    parts = []
    helper = use.key_helper if use is not None and not is_struct(key) else None
    for label, (fname, off, typ) in zip(names, fields, strict=True):
        kind = spec.decode.get(label) or spec.decode.get(fname)
        if kind is None:
            kind = KEY_HELPERS[helper][1] if helper else infer(fname if is_struct(key) else label, typ, typ.size)
        dec = decoder(kind, typ)
        parts.append(KeyPart((label, *dec.extra), off, typ.size, dec))
    seen: set[str] = set()
    for p in parts:
        for n in p.labels:
            if n in seen:
                raise bad(f"label {n!r} comes twice (a pid label adds 'process': rename one with labels=)")
            seen.add(n)
    return parts, bucket_part


def plan_one(name: str, m: Any, spec: MetricSpec, *, prefix: str, filename: str,
             use: MapUse | None = None) -> list[MapPlan]:
    """The plan(s) of map ``name`` (a DSL map, or a kernel map with ``spec.key/value``)."""
    from ..dsl.types import IntType

    spec.check(filename, name)
    key = spec.key if spec.key is not None else getattr(m, "key", None)
    value = spec.value if spec.value is not None else getattr(m, "value", None)
    kind_name = str(getattr(m, "kind", "") or getattr(m, "type", ""))
    is_array = kind_name in ("array", "percpu_array")
    entries = int(getattr(m, "max_entries", 0))
    percpu = bool(getattr(m, "percpu", False)) or kind_name.startswith("percpu") or kind_name == "lru_percpu_hash"
    if value is None:
        raise ExportError("the value type is unknown: give value= (and key=) to the metric "
                          "declaration, e.g. counter(key=u32, value=u64)", filename=filename, map=name)
    ints = _int_fields(value)
    if not ints:
        raise ExportError(f"value type {value!r} has no integer to export", filename=filename, map=name)
    parts, bucket_part = _key_parts(key, spec, use, is_array=is_array, entries=entries,
                                    filename=filename, name=name)
    base = spec.name or f"{prefix}_{name}"
    if spec.kind == "counter" and base.endswith("_total"):
        base = base[:-len("_total")]
    if spec.fields is not None:
        chosen = [(spec.fields[n], off, t) for n, off, t in ints if n in spec.fields]
        missing = set(spec.fields) - {n for n, _, _ in ints}
        if missing:
            raise ExportError(f"fields {sorted(missing)} are not integer fields of {value!r}",
                              filename=filename, map=name)
        values = [ValueField(f"{base}_{suffix}" if suffix else base, off, t.size, t.signed)
                  for suffix, off, t in chosen]
    else:
        values = [ValueField(f"{base}_{n}" if n else base, off, t.size, t.signed) for n, off, t in ints]
    if spec.kind == "histogram":
        if len(values) != 1 or not isinstance(value, IntType):
            raise ExportError("a histogram map's value must be one integer (the slot's count)",
                              filename=filename, map=name)
        if not is_array and bucket_part is None:
            raise ExportError("a histogram in a hash map needs bucket='FIELD' naming the key field "
                              "that holds the slot", filename=filename, map=name)
    key_size = int(getattr(key, "size", 0) or getattr(m, "key_size", 0) or 4)
    help_text = spec.help or f"{name} map of {filename.rsplit('/', 1)[-1]}"
    return [MapPlan(name, spec.kind, help_text, parts, values, key_size, percpu, spec.scale,
                    spec.buckets, bucket_part, spec.sum, is_array, spec)]


def plan_metrics(module: Any, maps: Mapping[str, Any], *, filename: str | None = None,
                 source: str | None = None) -> list[MapPlan]:
    """Every exported map of a probe module: its ``METRICS`` declarations, else defaults
    (read from ``source``, by default the module's own source file)."""
    filename = filename or getattr(module, "__file__", None) or "<probe>"
    prefix = metric_prefix(filename)
    declared = _declared(module, maps, filename)
    usage = map_usage(source) if source is not None else _module_usage(module)
    plans: list[MapPlan] = []
    for name, m in maps.items():
        if name in declared:
            spec = declared[name]
        else:
            spec = _default(m, usage.get(name))
            if spec is not None and not _int_fields(getattr(m, "value", None)):
                spec = None  # a default never exports what has no number in it
        if spec is None:
            continue
        plans.extend(plan_one(name, m, spec, prefix=prefix, filename=filename, use=usage.get(name)))
    names = [v.metric for p in plans for v in p.values]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise ExportError(f"two maps export the metric name {dup!r}: name one with METRICS",
                          filename=filename)
    return plans


_BY_SIZE = {1: "u8", 2: "u16", 4: "u32", 8: "u64"}


def object_plans(module: Any, maps: Mapping[str, Any], *, filename: str | None = None) -> list[MapPlan]:
    """The plans of an object file's maps: only those the description's ``METRICS`` names
    (an object gives no source to read defaults from). A declaration without ``key=`` or
    ``value=`` takes an unsigned integer of the map's key or value size."""
    from ..dsl import types as T

    filename = filename or getattr(module, "__file__", None) or "<description>"
    prefix = metric_prefix(filename)
    declared = _declared(module, maps, filename)
    if not any(v is not None for v in declared.values()):
        raise ExportError("an object's description must name the maps to export in METRICS "
                          f"(maps: {', '.join(sorted(maps)) or 'none'})", filename=filename)
    plans: list[MapPlan] = []
    for name, spec in declared.items():
        if spec is None:
            continue
        m = maps[name]
        key, value = spec.key, spec.value
        for what, given, size in (("key", key, m.key_size), ("value", value, m.value_size)):
            if given is None and size not in _BY_SIZE:
                raise ExportError(f"the {what} is {size} bytes: say its type with {what}= "
                                  "(a Struct, char[N], u32...)", filename=filename, map=name)
            if given is not None and given.size != size:
                raise ExportError(f"{what}={given!r} is {given.size} bytes but the map's {what} is "
                                  f"{size} bytes", filename=filename, map=name)
        key = key if key is not None else getattr(T, _BY_SIZE[m.key_size])
        value = value if value is not None else getattr(T, _BY_SIZE[m.value_size])
        kind = getattr(m, "type", "") or ""
        view = _ObjectMap(str(kind), m.max_entries, key, value)
        plans.extend(plan_one(name, view, replace(spec, key=key, value=value), prefix=prefix,
                              filename=filename))
    return plans


@dataclass
class _ObjectMap:
    """What `plan_one` reads of a map: its kind, size and types."""

    kind: str
    max_entries: int
    key: Any
    value: Any
