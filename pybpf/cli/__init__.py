"""The ``pybpf`` command.

Each subcommand lives in its own module of this package and defines
``register(subparsers)``, which adds its parser and sets ``func`` to a function
taking the parsed arguments and returning an exit code. The CLI holds no logic
the library lacks: every command calls the public API.

`VERBS` names every subcommand with the line ``pybpf --help`` gives it, so that the
list is printed without importing a subcommand's module: a module is imported only
when its subcommand runs or its own help is asked (tests/cli/test_verbs.py holds the
table to each module's ``register``).

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


#: Every subcommand (its module's name) and the line ``pybpf --help`` gives it, in the
#: order it lists them; kept equal to what each module's ``register`` says by
#: tests/cli/test_verbs.py.
VERBS: dict[str, str] = {
    "asm": "assemble a text file into eBPF bytecode",
    "btf": "inspect BTF (dump as C/raw/JSON, find types)",
    "conformance": "run bpf_conformance test vectors",
    "disasm": "disassemble eBPF bytecode (raw, hex text, an ELF object, any input)",
    "explain": "explain a kernel verifier log",
    "export": "serve a probe file's maps as Prometheus metrics",
    "features": "probe what the running kernel supports",
    "load": "load the programs and maps of an ELF object",
    "map": "list maps, or show one map's info and entries",
    "probe": "run the Python probes of FILE.py",
    "run": "run a program in the userspace VM",
    "trace": "run a bpftrace script (-e or FILE.bt) or an object",
    "verify": "predict the kernel verifier's verdict, explained",
}


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


def _wrap(text: str, width: int) -> list[str] | None:
    """``textwrap.wrap(text, width)`` for argparse's help text (ASCII spaces single, ends
    stripped) when no break needs textwrap's rules: text that fits, or words with no hyphen
    (textwrap's other break) none wider than ``width`` nor all spaces, broken greedily at the
    spaces as textwrap does; None for other text.

    >>> _wrap("assemble a text file into eBPF bytecode", 16)
    ['assemble a text', 'file into eBPF', 'bytecode']
    """
    if not text or width < 1:
        return None
    if len(text) <= width:
        return [text]
    words = text.split(" ")
    if "-" in text or any(len(word) > width or not word.strip() for word in words):
        return None  # (a word of Unicode spaces alone, textwrap drops at a line's ends)
    lines, line = [], words[0]
    for word in words[1:]:
        if len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, wrapping with `_wrap` where it can: textwrap's import
    (which compiles its word-splitting pattern) is a tenth of ``pybpf --help``."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        lines = _wrap(self._whitespace_matcher.sub(" ", text).strip(), width)
        return super()._split_lines(text, width) if lines is None else lines

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        lines = _wrap(self._whitespace_matcher.sub(" ", text).strip(), width - len(indent))
        if lines is None:
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in lines)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser (its subcommands' parsers too) whose help formatter is given the
    terminal's width: argparse makes a formatter for every `add_argument`, which would
    import shutil and ask the terminal each time."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        formatter = kw.get("formatter_class", argparse.HelpFormatter)
        if formatter is argparse.HelpFormatter:
            formatter = _Formatter
        kw["formatter_class"] = lambda prog: formatter(prog, width=_columns() - 2)
        super().__init__(*args, **kw)


if TYPE_CHECKING:
    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    _SubParsers = argparse._SubParsersAction


class _Verbs(_SubParsers):
    """The subcommands' action, whose subcommands are first listed by name and help line
    alone (`list_verb`: no parser made, no module imported); the one parsed has its module
    imported and its ``register`` called then, in its place in the list."""

    def list_verb(self, name: str, line: str) -> None:
        """List subcommand ``name`` (a module of this package) with its help line."""
        self._choices_actions.append(self._ChoicesPseudoAction(name, (), line))
        self._name_parser_map[name] = None  # type: ignore[assignment]  # registered when parsed

    def register(self, name: str) -> None:
        """Import subcommand ``name``'s module and let it add its parser, in the place its
        listed line held (if any)."""
        place = next((i for i, a in enumerate(self._choices_actions) if a.dest == name), None)
        if place is not None:
            del self._choices_actions[place], self._name_parser_map[name]
        importlib.import_module(f"{__name__}.{name}").register(self)
        if place is not None:
            self._choices_actions.insert(place, self._choices_actions.pop())

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        if values and values[0] in VERBS and self._name_parser_map.get(values[0], ...) is None:
            self.register(values[0])
        super().__call__(parser, namespace, values, option_string)


def build_parser(only: str | None = None, *, every: bool = False) -> argparse.ArgumentParser:
    """The argument parser, every subcommand listed from `VERBS` by name and help line
    alone: a subcommand's module is imported when that subcommand is parsed (or here, for
    ``only``, or every one with ``every``), so that ``pybpf --help`` and ``pybpf asm``
    import no other subcommand's module (start-up time is part of every command's cost)."""
    from .. import __version__

    parser = _Parser(prog="pybpf", description="A pure-Python eBPF toolchain.")
    parser.add_argument("--version", action="version", version=f"pybpf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", action=_Verbs)
    assert isinstance(sub, _Verbs)
    for name, line in VERBS.items():
        if every or name == only:
            sub.register(name)
        else:
            sub.list_verb(name, line)
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
    except BrokenPipeError:  # the reader went away (`pybpf ... | head`): end quietly
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
