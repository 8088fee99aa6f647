"""Names kept for one release after a rename, each with a `DeprecationWarning`; and names
a package imports at their first use.

A module lists its old names as ``{old: ("module.new_name", "since")}`` and installs the
``__getattr__`` this returns; the old name then resolves (lazily) to the new object and
warns, naming the replacement. Its ``lazy`` names (``{name: "module"}``) resolve to the
module's attribute of that name without a warning, kept in the package's namespace (a
start-up path imports only what it uses).

>>> import warnings
>>> get = module_getattr("demo", {"old": ("pybpf.errors.PybpfError", "0.2")})
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     get("old").__name__, str(caught[0].message)
('PybpfError', 'demo.old is pybpf.errors.PybpfError since 0.2')
"""
from __future__ import annotations

TYPE_CHECKING = False  # (not typing's: `import pybpf` imports this module)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["module_getattr"]


def module_getattr(module: str, aliases: Mapping[str, tuple[str, str]],
                   lazy: Mapping[str, str] | None = None) -> Callable[[str], object]:
    """A module ``__getattr__`` resolving the old names of ``aliases`` with a warning, and
    the ``lazy`` names from their modules (imported then)."""

    def __getattr__(name: str) -> object:
        if lazy is not None and name in lazy:
            import sys  # (built in: already imported)

            where = lazy[name]
            __import__(where)  # (not importlib's import_module: importlib imports warnings)
            value = getattr(sys.modules[where], name)
            setattr(sys.modules[module], name, value)
            return value
        entry = aliases.get(name)
        if entry is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        import importlib  # lazy: `import pybpf` stays cheap
        import warnings

        target, since = entry
        warnings.warn(f"{module}.{name} is {target} since {since}", DeprecationWarning, stacklevel=2)
        where, _, attr = target.rpartition(".")
        return getattr(importlib.import_module(where), attr)

    return __getattr__
