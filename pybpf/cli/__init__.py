"""The ``pybpf`` command.

Each subcommand lives in its own module of this package and defines
``register(subparsers)``, which adds its parser and sets ``func`` to a function
taking the parsed arguments and returning an exit code. The CLI holds no logic
the library lacks: every command calls the public API.

>>> main(["--version"])  # doctest: +SKIP
pybpf 0.1.0
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import PybpfError

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from typing import Any


def _command_names() -> list[str]:
    # a directory listing, not pkgutil.iter_modules: that imports inspect (10 ms per command)
    here = os.path.dirname(__file__)
    return sorted(f[:-3] for f in os.listdir(here) if f.endswith(".py") and not f.startswith("_"))


def _columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` finds it (``COLUMNS``, then the
    terminal, then 80), without importing shutil (and zlib, bz2 and lzma with it); asked
    once."""
    global _COLUMNS
    if not _COLUMNS:
        try:
            columns = int(os.environ.get("COLUMNS", "0"))
        except ValueError:
            columns = 0
        if columns <= 0:
            try:
                columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]  # no stdout: AttributeError, caught
            except (AttributeError, ValueError, OSError):
                columns = 0
        _COLUMNS = columns or 80
    return _COLUMNS


_COLUMNS = 0


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser (its subcommands' parsers too) whose help formatter is given the
    terminal's width: argparse makes a formatter for every `add_argument`, which would
    import shutil and ask the terminal each time."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        formatter = kw.get("formatter_class", argparse.HelpFormatter)
        kw["formatter_class"] = lambda prog: formatter(prog, width=_columns() - 2)
        super().__init__(*args, **kw)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand module registered (or just ``only``,
    so that ``pybpf asm`` does not import the BTF parser: startup time is part of
    every command's cost)."""
    from .. import __version__

    parser = _Parser(prog="pybpf", description="A pure-Python eBPF toolchain.")
    parser.add_argument("--version", action="version", version=f"pybpf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = _command_names()
    for name in ([only] if only in names else names):
        module = importlib.import_module(f"{__name__}.{name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing what is left at exit cannot raise
    BrokenPipeError again (Python would print it as an ignored exception)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real stdout (captured in-process)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (1 on a pybpf error, 2 on usage)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(first if first and "-h" not in argv[:1] else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except PybpfError as exc:
        print(f"pybpf {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader went away (`pybpf ... | head`): end quietly
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
