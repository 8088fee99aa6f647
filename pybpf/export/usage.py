"""How a probe file's functions use each map, read from its source (``ast``): the
facts behind the default metric of a map.

- ``m[k] += n`` (or ``m.value += n``) only: a running total, a counter;
- ``m[k] = v``: a current value, a gauge;
- ``del m[k]``: the map is the probe's working state (start timestamps waiting for their
  completion), not a metric;
- ``m.log2(v)``: a histogram;
- nothing written by a probe: configuration that userspace fills, not a metric.

The key of ``m[comm()] += 1`` names its label after the helper (``comm``, ``pid``, ...).
Userspace hooks (``setup``, ``report``, ``format_event``) are not probes and are skipped.

>>> src = '''
... def count(ctx):
...     counts[comm()] += 1
...     start[pid()] = 5
...     del start[pid()]
... '''
>>> u = map_usage(src)
>>> sorted(u["counts"].ops), u["counts"].key_helper, sorted(u["start"].ops)
(['add'], 'comm', ['del', 'set'])
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

__all__ = ["MapUse", "map_usage", "USERSPACE_HOOKS", "KEY_HELPERS"]

USERSPACE_HOOKS = frozenset({"setup", "report", "format_event"})

#: key helper -> (label name, decoder)
KEY_HELPERS = {
    "comm": ("comm", "string"), "pid": ("pid", "pid"), "tid": ("tid", "pid"), "uid": ("uid", "int"),
    "gid": ("gid", "int"), "cpu": ("cpu", "int"), "cgroup_id": ("cgroup", "cgroup"),
}


@dataclass
class MapUse:
    """What the probes do with one map: ``ops`` among add/set/del/log2/read, and the helper
    its key comes from when every write uses the same one (``comm`` for ``m[comm()]``)."""

    ops: set[str] = field(default_factory=set)
    key_helpers: set[str] = field(default_factory=set)
    opaque_keys: bool = False

    @property
    def key_helper(self) -> str | None:
        if self.opaque_keys or len(self.key_helpers) != 1:
            return None
        return next(iter(self.key_helpers))


def _helper_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args \
            and node.func.id in KEY_HELPERS:
        return node.func.id
    return None


class _Walker(ast.NodeVisitor):
    def __init__(self) -> None:
        self.uses: dict[str, MapUse] = {}

    def _use(self, name: str) -> MapUse:
        return self.uses.setdefault(name, MapUse())

    def _target(self, target: ast.expr, op: str) -> None:
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            use = self._use(target.value.id)
            use.ops.add(op)
            helper = _helper_of(target.slice)
            if helper is None:
                use.opaque_keys = True
            else:
                use.key_helpers.add(helper)
        elif isinstance(target, ast.Attribute) and target.attr == "value" and \
                isinstance(target.value, ast.Name):
            self._use(target.value.id).ops.add(op)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name not in USERSPACE_HOOKS:
            self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._target(node.target, "add" if isinstance(node.op, ast.Add) else "set")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for t in node.targets:
            self._target(t, "set")
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for t in node.targets:
            self._target(t, "del")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            if f.attr == "log2":
                self._use(f.value.id).ops.add("log2")
            elif f.attr in ("get", "lookup"):
                self._use(f.value.id).ops.add("read")
            elif f.attr in ("update", "increment"):
                self._use(f.value.id).ops.add("set")
        self.generic_visit(node)


def map_usage(source: str) -> dict[str, MapUse]:
    """The `MapUse` of every name subscripted, assigned or called on in ``source``'s
    functions (userspace hooks excluded)."""
    w = _Walker()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            w.visit(node)
    return w.uses
