"""Maps as bpftrace prints them: sorted, with its histogram layout.

- values: ``@name[key]: value``, entries sorted by value (count, sum, int, min, max), keys
  of string/int maps sorted by key otherwise; a map without a key is ``@name: value``;
- ``avg``/``stats``: sorted by average; ``stats`` prints ``count N, average A, total T``;
- ``hist``/``lhist``: ``@name[key]:`` then one line per bucket from the first non-empty
  to the last: the label left-aligned in 16 columns, the count right-aligned in 8, then
  `` |`` and a bar of ``@`` 52 wide, scaled to the largest bucket; log2 buckets are
  ``(..., 0)``, ``[0]``, ``[1]``, ``[2, 4)``, ``[4, 8)`` ... with K/M/G/T suffixes; per-key
  histograms are sorted by their total count;
- stack keys print one frame per line, indented, between ``@name[`` and ``]: value``.

>>> print(format_hist([0, 1, 2, 2] + [0] * 61).rstrip())
[0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
[1]                    2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
>>> hist_label(12), lhist_label(2048), lhist_label(1000)
('[1K, 2K)', '2K', '1000')
"""

from __future__ import annotations

from collections.abc import Callable

from .automap import AutoMap, StackRef

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["format_hist", "format_lhist", "format_map", "hist_label", "lhist_label"]

BAR = 52


def _power_label(power: int) -> str:
    for suffix, p in (("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if power >= p:
            return f"{1 << (power - p)}{suffix}"
    return str(1 << power)


def hist_label(bucket: int) -> str:
    """The label of log2 bucket ``bucket`` (0: negative, 1: zero, 2: one, then powers of 2)."""
    if bucket == 0:
        return "(..., 0)"
    if bucket == 1:
        return "[0]"
    if bucket == 2:
        return "[1]"
    return f"[{_power_label(bucket - 2)}, {_power_label(bucket - 1)})"


def lhist_label(n: int) -> str:
    if n == 0:
        return "0"
    if n % (1 << 20) == 0:
        return f"{n // (1 << 20)}M"
    if n % 1024 == 0:
        return f"{n // 1024}K"
    return str(n)


def _line(label: str, n: int, top: int) -> str:
    width = int(n / top * BAR) if top else 0
    return f"{label:<16}{n:>8} |{'@' * width:<{BAR}}|\n"


def format_hist(buckets: list[int], div: int = 1) -> str:
    """bpftrace's ``hist()`` text for 65 log2 buckets (see `automap.hist_bucket`)."""
    used = [i for i, n in enumerate(buckets) if n > 0]
    if not used:
        return ""
    top = max(buckets)
    return "".join(_line(hist_label(i), buckets[i] // (div or 1), top)
                   for i in range(used[0], used[-1] + 1))


def format_lhist(buckets: list[int], lo: int, hi: int, step: int) -> str:
    """bpftrace's ``lhist()`` text (bucket 0 below ``lo``, the last at or above ``hi``)."""
    used = [i for i, n in enumerate(buckets) if n > 0]
    if not used:
        return ""
    top = max(buckets)
    last = (hi - lo) // step + 1
    out = []
    for i in range(used[0], used[-1] + 1):
        if i == 0:
            label = f"(..., {lhist_label(lo)})"
        elif i == last:
            label = f"[{lhist_label(hi)}, ...)"
        else:
            label = f"[{lhist_label((i - 1) * step + lo)}, {lhist_label(i * step + lo)})"
        out.append(_line(label, buckets[i], top))
    return "".join(out)


StackText = Callable[[StackRef], str]


def _key_text(key: Any, stack_text: StackText | None) -> str:
    if key is None:
        return ""
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    for p in parts:
        if isinstance(p, StackRef):
            out.append(stack_text(p) if stack_text is not None else f"{p.stack_id}")
        else:
            out.append(str(p))
    return "[" + ", ".join(out) + "]"


def _sort_key(key: Any) -> tuple[Any, ...]:
    parts = key if isinstance(key, tuple) else (key,)
    return tuple((0, p) if isinstance(p, int) else (1, str(p)) for p in parts if p is not None)


def format_map(m: AutoMap, *, top: int = 0, div: int = 0, stack_text: StackText | None = None) -> str:
    """All of map ``m`` as bpftrace prints it (``print(@m)`` and at the end of a run)."""
    label = m.label or f"@{m.name}"
    items = list(m.items())
    div = div or 1
    agg = m.agg
    if agg in ("hist", "lhist"):
        items.sort(key=lambda kv: _sort_key(kv[0]))
        items.sort(key=lambda kv: sum(kv[1]))
        if top:
            items = items[-top:]
        parts = []
        for k, buckets in items:
            body = format_hist(buckets, div) if agg == "hist" else format_lhist(buckets, *m.lhist_range)  # type: ignore[misc]  # m.lhist_range is set for lhist maps
            parts.append(f"{label}{_key_text(k, stack_text)}: \n{body}")
        return "\n".join(parts) + "\n"
    if agg in ("avg", "stats"):
        items.sort(key=lambda kv: _sort_key(kv[0]))
        items.sort(key=lambda kv: kv[1] if agg == "avg" else kv[1][1])
        if top and agg == "avg":
            items = items[-top:]
        lines = []
        for k, v in items:
            text = f"{_cdiv(v, div)}" if agg == "avg" else f"count {v[0]}, average {v[1]}, total {v[2]}"
            lines.append(f"{label}{_key_text(k, stack_text)}: {text}")
        return "\n".join(lines) + "\n\n"
    if not items and agg == "count" and not m.parts:
        items = [(None, 0)]  # bpftrace shows a count without a key from the start
    items.sort(key=lambda kv: _sort_key(kv[0]))
    if agg in ("count", "sum", "int", "min", "max"):
        items.sort(key=lambda kv: kv[1])
    if top:
        items = items[-top:]
    lines = [f"{label}{_key_text(k, stack_text)}: {_cdiv(v, div) if isinstance(v, int) else v}"
             for k, v in items]
    return "\n".join(lines) + "\n"


def _cdiv(a: int, b: int) -> int:
    """C's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _plain(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.split(b"\0", 1)[0].decode(errors="replace")
    if hasattr(v, "as_dict"):
        return {k: _plain(x) for k, x in v.as_dict().items()}
    return v


def typed_map_rows(m: Any) -> list[tuple[Any, Any]]:
    """(key, value) of a typed map (`HashMap`...), per-CPU values summed, sorted by value
    (numbers) then key, as bpftrace sorts its maps."""
    rows = []
    for k, v in m.items():
        if isinstance(v, list) and all(isinstance(x, int) for x in v):
            v = sum(v)
        rows.append((_plain(k), _plain(v)))
    rows.sort(key=lambda kv: str(kv[0]))
    if all(isinstance(v, int) for _, v in rows):
        rows.sort(key=lambda kv: kv[1])
    return rows


def typed_map_text(name: str, m: Any) -> str:
    """A typed map as bpftrace would print it: ``@name[key]: value`` lines, or a histogram."""
    from .maps import Histogram

    if isinstance(m, Histogram):
        return f"@{name}: \n{m.format()}\n"
    lines = []
    for k, v in typed_map_rows(m):
        key = ", ".join(str(x) for x in k.values()) if isinstance(k, dict) else str(k)
        value = ", ".join(f"{a}={b}" for a, b in v.items()) if isinstance(v, dict) else v
        lines.append(f"@{name}[{key}]: {value}")
    return "\n".join(lines) + "\n"
