"""The module graph of pybpf, read from the source (``ast``), and the rules it must keep.

``python -m pybpf.tools.importgraph`` prints:

- each package (a *job*: ``pybpf.asm``, ``pybpf.kernel``...) and the packages it imports;
- the import cycles between modules of different jobs (there must be none);
- every module outside `pybpf.kernel` that imports it, and whether it is one of the
  front ends that load programs (the only ones allowed to);
- with ``--check RULES.md``: every import a package makes that the rules table of
  ``docs/architecture.md`` does not allow (exit status 1 if any rule is broken);
- ``--stats``: imports inside functions and imports of private names across modules.

An edge counts every import the module runs, at the top or inside a function; imports
under ``if TYPE_CHECKING:`` are for the type checker only and do not count.

>>> g = ImportGraph.of_source({"p": "from . import a", "p.a": "import p.b", "p.b": ""},
...                           packages={"p"})
>>> sorted(g.edges["p.a"]), g.job("p.a")
(['p.b'], 'p.a')
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Edge", "ImportGraph", "Rules", "main"]

ROOT = Path(__file__).resolve().parent.parent  # the pybpf package directory
#: jobs of the top-level modules that are not packages
FOUNDATION = ("pybpf.errors", "pybpf._errors_more", "pybpf._deprecated", "pybpf._record", "pybpf._enum", "pybpf._tuple",
              "pybpf._sequence")
#: compiled extension modules (no source to scan) and the job they belong to
EXTENSIONS = {"pybpf._native": "pybpf.kernel",  # the cffi module built from src_c/
              "pybpf._batchdict": "pybpf.kernel",  # src_c/pyext/batchdict.c
              "pybpf._mapcall": "pybpf.kernel"}  # src_c/pyext/mapcall.c


@dataclass(frozen=True)
class Edge:
    """One import: ``source`` imports ``target`` at ``line`` (``lazy``: inside a function)."""

    source: str
    target: str
    line: int
    lazy: bool
    names: tuple[str, ...] = ()


@dataclass
class ImportGraph:
    """Modules (dotted names), whether each is a package, and the imports between them."""

    modules: dict[str, bool]  # name -> is a package
    edges: dict[str, dict[str, list[Edge]]] = field(default_factory=dict)
    #: imports inside functions (any module, standard library too) per module
    function_imports: dict[str, int] = field(default_factory=dict)
    #: ``from X import _name`` where X is another pybpf module
    private_imports: list[Edge] = field(default_factory=list)

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def of_package(cls, root: Path = ROOT, name: str = "pybpf") -> ImportGraph:
        """The graph of the package at ``root`` (its ``.py`` files)."""
        sources: dict[str, str] = {}
        packages: set[str] = set()
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = [name, *rel.parts]
            if parts[-1] == "__init__":
                parts.pop()
                packages.add(".".join(parts))
            sources[".".join(parts)] = path.read_text()
        return cls.of_source(sources, packages=packages,
                             extensions=[e for e in EXTENSIONS if e.split(".")[0] == name])

    @classmethod
    def of_source(cls, sources: Mapping[str, str], *, packages: Iterable[str] = (),
                  extensions: Iterable[str] = ()) -> ImportGraph:
        pkgs = set(packages)
        graph = cls({m: m in pkgs for m in sources})
        graph.modules.update({e: False for e in extensions})
        for module, text in sources.items():
            graph._scan(module, ast.parse(text))
        return graph

    def _scan(self, module: str, tree: ast.Module) -> None:
        out: dict[str, list[Edge]] = defaultdict(list)
        in_function = 0
        count = 0

        def visit(node: ast.AST, lazy: bool) -> None:
            nonlocal in_function, count
            if isinstance(node, ast.If) and _is_type_checking(node.test):
                for child in node.orelse:
                    visit(child, lazy)
                return
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if lazy:
                    count += 1
                for target, names in self._targets(module, node):
                    if target.split(".")[0] != module.split(".")[0]:
                        continue  # not ours
                    edge = Edge(module, target, node.lineno, lazy, names)
                    out[target].append(edge)
                    if isinstance(node, ast.ImportFrom) and target != module and any(
                            n.startswith("_") and not n.startswith("__") for n in names):
                        self.private_imports.append(edge)
                return
            inner = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            for sub in ast.iter_child_nodes(node):
                visit(sub, inner)

        visit(tree, False)
        self.edges[module] = dict(out)
        self.function_imports[module] = count

    def _targets(self, module: str, node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, tuple[str, ...]]]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
            return
        if node.level:
            base = module.split(".")
            if not self.modules.get(module, False):
                base = base[:-1]
            base = base[:len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        plain: list[str] = []
        for alias in node.names:
            sub = f"{target}.{alias.name}"
            if sub in self.modules:  # `from . import maps`: the submodule itself
                yield sub, ()
            else:
                plain.append(alias.name)
        if plain:
            yield target, tuple(plain)

    # -- reading -------------------------------------------------------------------------------
    def job(self, module: str) -> str:
        """The package a module works for: ``pybpf.kernel.maps.base`` -> ``pybpf.kernel``;
        a generator beside a generated table is a build tool (``generator``)."""
        parts = module.split(".")
        if len(parts) >= 4 and parts[-2] == "generated" and parts[-1].startswith("gen_"):
            return "generator"
        if module in FOUNDATION:
            return "foundation"
        if module in EXTENSIONS:
            return EXTENSIONS[module]
        if len(parts) == 1:
            return module
        return ".".join(parts[:2])

    def resolve(self, target: str) -> str | None:
        """The module of ``target`` (a module, or a name inside one), or None if not ours."""
        while target and target not in self.modules:
            target = target.rpartition(".")[0]
        return target or None

    def runtime_edges(self) -> Iterator[Edge]:
        for _source, targets in sorted(self.edges.items()):
            for target, edges in sorted(targets.items()):
                resolved = self.resolve(target)
                if resolved is None:
                    continue
                for e in edges:
                    yield Edge(e.source, resolved, e.line, e.lazy, e.names)

    def job_edges(self) -> dict[str, dict[str, list[Edge]]]:
        """job -> job it imports -> the module imports doing it."""
        out: dict[str, dict[str, list[Edge]]] = defaultdict(lambda: defaultdict(list))
        for e in self.runtime_edges():
            a, b = self.job(e.source), self.job(e.target)
            if a != b:
                out[a][b].append(e)
        return out

    def cycles(self) -> list[list[str]]:
        """Strongly connected groups of modules (two or more) whose modules span several jobs."""
        succ: dict[str, set[str]] = defaultdict(set)
        for e in self.runtime_edges():
            if e.target != e.source and not self.modules.get(e.target, False):
                succ[e.source].add(e.target)  # importing a package's __init__ is not a cycle
        return [sorted(c) for c in _strongly_connected(self.modules, succ)
                if len(c) > 1 and len({self.job(m) for m in c}) > 1]

    def kernel_importers(self) -> dict[str, list[Edge]]:
        """Modules outside pybpf.kernel that import it -> their imports of it."""
        out: dict[str, list[Edge]] = defaultdict(list)
        for e in self.runtime_edges():
            if self.job(e.target) == "pybpf.kernel" and self.job(e.source) != "pybpf.kernel":
                out[e.source].append(e)
        return dict(out)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _strongly_connected(nodes: Iterable[str], succ: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (the graph has a few hundred modules)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(succ.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(succ.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        group.append(m)
                        if m == node:
                            break
                    out.append(group)
    return out


# -- the rules of docs/architecture.md ---------------------------------------------------------
@dataclass
class Rules:
    """What each job may import, and which modules outside pybpf.kernel may import it.

    Read from the two tables of ``docs/architecture.md``: ``| package | job | may import |``
    (a name in backticks per allowed package; ``pybpf.btf`` → ``pybpf.elf.reader`` allows one
    module) and ``| module | why it may import pybpf.kernel |``.
    """

    may_import: dict[str, set[str]]
    kernel_front_ends: dict[str, str]

    @classmethod
    def from_markdown(cls, text: str) -> Rules:
        may: dict[str, set[str]] = {}
        front: dict[str, str] = {}
        for line in text.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
            if len(cells) == 3 and cells[0].startswith("`"):
                names = re.findall(r"`([\w.]+)`", cells[0])
                allowed = set(re.findall(r"`([\w.]+)`", cells[2]))
                if cells[2].startswith("every package"):
                    allowed = {"*"}
                for n in names:
                    may[n] = allowed
            elif len(cells) == 2 and cells[0].startswith("`pybpf") and "kernel" not in cells[0][:14]:
                for n in re.findall(r"`([\w.]+)`", cells[0]):
                    front[n] = cells[1]
        return cls(may, front)

    def allows(self, graph: ImportGraph, e: Edge) -> bool:
        a, b = graph.job(e.source), graph.job(e.target)
        if a == b or a == "generator":
            return True
        allowed = self.may_import.get(a)
        if allowed is None:
            return False
        if b == "pybpf.kernel" and a != "pybpf":
            return _covered(e.source, self.kernel_front_ends)
        return "*" in allowed or b in allowed or any(e.target == m or e.target.startswith(m + ".") for m in allowed)

    def violations(self, graph: ImportGraph) -> list[str]:
        out = []
        for job in sorted({graph.job(m) for m in graph.modules} - {"generator"}):
            if job not in self.may_import:
                out.append(f"{job}: no row in the rules table")
        for e in graph.runtime_edges():
            if not self.allows(graph, e):
                out.append(f"{e.source}:{e.line} imports {e.target} "
                           f"({graph.job(e.source)} -> {graph.job(e.target)} is not allowed)")
        return out


def _covered(module: str, prefixes: Mapping[str, str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


# -- the command -----------------------------------------------------------------------------------
def report(graph: ImportGraph, rules: Rules | None = None, stats: bool = False) -> tuple[str, bool]:
    """The printed report and whether every check passed."""
    lines: list[str] = []
    ok = True
    jobs = graph.job_edges()
    lines.append("== packages and what they import (module imports, lazy ones in parentheses)")
    for job in sorted({graph.job(m) for m in graph.modules}):
        deps = jobs.get(job, {})
        parts = []
        for dep, edges in sorted(deps.items()):
            lazy = sum(e.lazy for e in edges)
            parts.append(f"{dep} {len(edges)}" + (f" ({lazy})" if lazy else ""))
        lines.append(f"{job:22} -> {', '.join(parts) or '-'}")
    cycles = graph.cycles()
    lines.append("")
    lines.append(f"== import cycles between modules of different jobs: {len(cycles)}")
    for c in cycles:
        lines.append("  " + " <-> ".join(c))
    ok &= not cycles
    lines.append("")
    importers = graph.kernel_importers()
    lines.append(f"== modules outside pybpf.kernel that import it: {len(importers)}")
    for module, edges in sorted(importers.items()):
        if graph.job(module) == "generator":
            verdict = "generator (build tool)"
        elif rules is None or _covered(module, rules.kernel_front_ends):
            verdict = "front end"
        else:
            verdict = "NOT ALLOWED"
        targets = sorted({e.target for e in edges})
        lines.append(f"  {module:48} {verdict:22} {', '.join(targets)}")
        ok &= verdict != "NOT ALLOWED"
    if rules is not None:
        bad = rules.violations(graph)
        lines.append("")
        lines.append(f"== imports the rules table does not allow: {len(bad)}")
        lines.extend(f"  {b}" for b in bad)
        ok &= not bad
    if stats:
        lines.append("")
        total = sum(graph.function_imports.values())
        lines.append(f"== imports inside functions: {total} "
                     f"({sum(1 for e in graph.runtime_edges() if e.lazy)} of them of pybpf modules)")
        for module, n in sorted(graph.function_imports.items(), key=lambda kv: -kv[1])[:15]:
            if n:
                lines.append(f"  {n:4} {module}")
        lines.append(f"== imports of private names from another module: {len(graph.private_imports)}")
        for e in graph.private_imports:
            lines.append(f"  {e.source}:{e.line} from {e.target} import {', '.join(e.names)}")
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pybpf.tools.importgraph",
                                     description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", nargs="?", const="docs/architecture.md", metavar="RULES.md",
                        help="check the imports against the rules tables of this page "
                             "(default docs/architecture.md); exit 1 on a broken rule")
    parser.add_argument("--stats", action="store_true",
                        help="also count imports inside functions and of private names")
    args = parser.parse_args(argv)
    graph = ImportGraph.of_package()
    rules = Rules.from_markdown(Path(args.check).read_text()) if args.check else None
    text, ok = report(graph, rules, args.stats)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
