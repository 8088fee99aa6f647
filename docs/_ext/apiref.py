"""The API reference, generated from the packages' ``__all__`` at every build.

A public package is ``pybpf`` or one of its packages whose ``__init__`` defines ``__all__``;
its public names are that list. Each object is documented once, in full (autodoc, from its
docstring), on the page of its *home*: the most specific public package that exports it and
that contains the module defining it (``ProgramSpec``, defined in ``pybpf.isa.program``,
lives on the ``pybpf.isa`` page). Every other package that exports it lists it with a
short entry that links to the home (``pybpf.ProgramSpec``: "the same object as
pybpf.isa.ProgramSpec"), so every ``package.name`` of every ``__all__`` is an entry of the
site's index (``objects.inv``) and ``tests/docs/test_api_reference.py`` can compare them.

The pages are written into ``docs/api/`` when Sphinx starts (``builder-inited``); they are
derived files, not kept in git, so they cannot drift from the code.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
API_DIR = HERE.parent / "api"

#: one line on each package's page, above its names
BLURBS = {
    "pybpf": "The lazy entry points: ``import pybpf`` then ``pybpf.assemble``, ``pybpf.verify``...",
    "pybpf.isa": "Instructions as data: opcodes, ``Insn``, ``ProgramSpec``, ``MapSpec``, helper ids.",
    "pybpf.asm": "Text to ``ProgramSpec`` and back: LLVM syntax, the builder.",
    "pybpf.asm.gas": "The gas-like syntax of bpf_conformance.",
    "pybpf.uapi": "The bpf() ABI as data: attribute layouts, type names, flags.",
    "pybpf.btf": "BTF: parse, look up, print as C, write.",
    "pybpf.verifier": "The static verifier: the kernel's verdict and log, predicted.",
    "pybpf.explain": "Why a program is rejected: source line, provenance, root cause, fix.",
    "pybpf.vm": "The userspace VM: a concrete interpreter with checked memory.",
    "pybpf.kernel": "The running kernel: bpf(), maps, programs, links, readers, features.",
    "pybpf.kernel.maps": "Live maps: one class per kind.",
    "pybpf.kernel.link": "Attaching programs: one function per attach kind.",
    "pybpf.elf": "Clang objects: parse, load, CO-RE.",
    "pybpf.dsl": "Probes written in Python.",
    "pybpf.bpftrace": "bpftrace's language parsed into the DSL.",
    "pybpf.export": "Probe maps as Prometheus metrics.",
    "pybpf.symbolize": "Addresses to symbols.",
    "pybpf.testing": "Hypothesis strategies and program generators for tests.",
    "pybpf.conformance": "bpf_conformance vectors on the VM and the kernel.",
    "pybpf.viewer": "Self-contained HTML pages of a verifier run or a VM run (the trace viewer).",
    "pybpf.notebook": "``%load_ext pybpf.notebook``: the ``%%bpf`` cell magic.",
}


def public_packages() -> dict[str, list[str]]:
    """``{package: its __all__}`` for ``pybpf`` and every package of it with an ``__all__``."""
    import pybpf

    out = {"pybpf": [n for n in pybpf.__all__ if n != "__version__"]}
    for info in pkgutil.walk_packages(pybpf.__path__, "pybpf."):
        if not info.ispkg:
            continue
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", None)
        if names is not None:
            out[info.name] = list(names)
    return out


@dataclass
class Entry:
    """One public name of one package: where it is documented in full."""

    package: str
    name: str
    value: Any
    home: str  # the package whose page documents it in full

    @property
    def is_home(self) -> bool:
        return self.home == self.package


def _defined_in(value: Any) -> str | None:
    if inspect.ismodule(value):
        return value.__name__
    module = getattr(value, "__module__", None)
    return module if isinstance(module, str) else None


def entries() -> list[Entry]:
    """Every (package, name) of every ``__all__``, with the home of its object."""
    packages = public_packages()
    exporters: dict[int, list[tuple[str, str]]] = {}
    values: dict[tuple[str, str], Any] = {}
    for package, names in packages.items():
        module = importlib.import_module(package)
        for name in names:
            value = getattr(module, name)
            values[package, name] = value
            if _documentable(value):
                exporters.setdefault(id(value), []).append((package, name))
    out = []
    for (package, name), value in values.items():
        home = package
        if _documentable(value):
            where = _defined_in(value) or ""
            candidates = [(p, n) for p, n in exporters[id(value)] if n == name]
            inside = [p for p, _ in candidates if where == p or where.startswith(p + ".")]
            pool = inside or [p for p, _ in candidates]
            home = max(pool, key=lambda p: (p.count("."), p))
        out.append(Entry(package, name, value, home))
    return out


def _documentable(value: Any) -> bool:
    """Classes, functions and modules are documented once; plain values where listed."""
    return inspect.isclass(value) or inspect.isroutine(value) or inspect.ismodule(value)


def _first_paragraph(value: Any) -> str:
    doc = inspect.getdoc(value) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _kind(value: Any) -> str:
    if inspect.ismodule(value):
        return "module"
    if inspect.isclass(value):
        return "exception" if issubclass(value, BaseException) else "class"
    return "function" if inspect.isroutine(value) else type(value).__name__


def _target(entry: Entry) -> str:
    """The full name the entry's link goes to (the home's entry for a re-export)."""
    v = entry.value
    if inspect.ismodule(v) and f"{entry.package}.{entry.name}" == v.__name__:
        return v.__name__
    return f"{entry.home}.{entry.name}"


def _directive(entry: Entry) -> str:
    """The reST that documents ``entry`` (empty: a submodule documented on its own page)."""
    full = f"{entry.package}.{entry.name}"
    v = entry.value
    if inspect.ismodule(v):
        if full == v.__name__:  # a submodule of the package
            if v.__name__ in _PUBLIC:
                return ""
            return f".. automodule:: {v.__name__}\n"
        return (f".. py:data:: {entry.name}\n   :module: {entry.package}\n\n"
                f"   The module ``{v.__name__}``: {_first_paragraph(v)}\n")
    if not entry.is_home:  # data, so that type references in signatures stay unambiguous
        return (f".. py:data:: {entry.name}\n   :module: {entry.package}\n\n"
                f"   The same {_kind(v)} as :py:obj:`{entry.home}.{entry.name}`.\n")
    if inspect.isclass(v):
        kind = "autoexception" if issubclass(v, BaseException) else "autoclass"
        return f".. {kind}:: {full}\n   :members:\n   :show-inheritance:\n"
    if inspect.isroutine(v):
        return f".. autofunction:: {full}\n"
    text = repr(v)
    if len(text) > 70:
        text = f"a {type(v).__name__}" + (f" of {len(v)} entries" if hasattr(v, "__len__") else "")
    return (f".. py:data:: {entry.name}\n   :module: {entry.package}\n\n"
            f"   {_data_doc(entry)}\n\n   Value: ``{text}``\n")


def _data_doc(entry: Entry) -> str:
    """The ``#:`` comment above the name in the package's ``__init__``, if any."""
    from sphinx.pycode import ModuleAnalyzer

    try:
        docs = ModuleAnalyzer.for_module(entry.package).find_attr_docs()
    except Exception:  # noqa: BLE001 - no source: no comment
        return ""
    return " ".join(" ".join(docs.get(("", entry.name), [])).split())


_PUBLIC: set[str] = set()


def page(package: str, items: list[Entry]) -> str:
    """The Markdown (MyST) page of one package: a table of its names, then each one."""
    module = importlib.import_module(package)
    first = _first_paragraph(module)
    lines = [f"# `{package}`", "", BLURBS.get(package, first), "",
             "| name | kind | summary |", "| --- | --- | --- |"]
    for e in items:
        summary = _first_paragraph(e.value) if not _is_plain(e.value) else _data_doc(e)
        summary = summary.split(". ")[0].replace("|", "\\|")
        lines.append(f"| {{py:obj}}`{e.name} <{_target(e)}>` | {_kind(e.value)} | {summary} |")
    lines += ["", "```{eval-rst}", f".. py:module:: {package}", ""]
    for e in items:
        d = _directive(e)
        if d:
            lines.append(d)
    lines.append("```")
    return "\n".join(lines) + "\n"


def _is_plain(value: Any) -> bool:
    return not _documentable(value)


def index(packages: list[str]) -> str:
    rows = "\n".join(f"| [`{p}`]({p}.md) | {BLURBS.get(p, '')} |" for p in packages)
    toc = "\n".join(f"{p}" for p in packages)
    return (
        "# API reference\n\n"
        "Generated from the docstrings at every build: one page per public package, with every\n"
        "name of its `__all__`. An object exported by several packages is documented in full on\n"
        "one page and listed with a link on the others.\n\n"
        "| package | what it is |\n| --- | --- |\n" + rows + "\n\n"
        "```{toctree}\n:hidden:\n\n" + toc + "\n```\n")


def write_pages(out: Path = API_DIR) -> list[str]:
    """Write ``index.md`` and one page per public package into ``out``; return the packages."""
    all_entries = entries()
    packages = list(public_packages())
    _PUBLIC.update(packages)
    out.mkdir(parents=True, exist_ok=True)
    wanted = {"index.md"} | {f"{p}.md" for p in packages}
    for stale in out.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    _write(out / "index.md", index(packages))
    for p in packages:
        _write(out / f"{p}.md", page(p, [e for e in all_entries if e.package == p]))
    return packages


def _write(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:  # keep mtimes: Sphinx rebuilds less
        path.write_text(text)


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", lambda app: write_pages())
    return {"parallel_read_safe": True, "parallel_write_safe": True}
