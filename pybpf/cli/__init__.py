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
import pkgutil
import sys

from ..errors import PybpfError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand module registered."""
    from .. import __version__

    parser = argparse.ArgumentParser(prog="pybpf", description="A pure-Python eBPF toolchain.")
    parser.add_argument("--version", action="version", version=f"pybpf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (1 on a pybpf error, 2 on usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except PybpfError as exc:
        print(f"pybpf {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
