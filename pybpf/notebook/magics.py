"""The ``%%bpf`` cell magic (see `pybpf.notebook`)."""
from __future__ import annotations

import argparse
import shlex
from typing import Any

from ..errors import PybpfError
from .cell import error_html, run_cell

_DOC = """%%bpf [--lang asm|dsl|c] [--type T] [--mem HEX] [--packet HEX] [--run|--no-run]
[--html OUT.html] [--name NAME]: verify the cell's programs (every state shown) and run
them in pybpf's VM (see pybpf.notebook)."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="%%bpf", add_help=False, exit_on_error=False)
    p.add_argument("--lang", choices=("asm", "dsl", "c"))
    p.add_argument("--type", dest="prog_type")
    p.add_argument("--mem")
    p.add_argument("--packet")
    p.add_argument("--run", dest="run", action="store_true", default=None)
    p.add_argument("--no-run", dest="run", action="store_false")
    p.add_argument("--html", metavar="OUT.html")
    p.add_argument("--name")
    return p


def _hex(text: str | None, option: str) -> bytes | None:
    if text is None:
        return None
    try:
        return bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise PybpfError(f"{option}: {text!r} is not hex bytes") from None


def bpf(line: str, cell: str, user_ns: dict[str, Any] | None = None) -> Any:
    """Run one ``%%bpf`` cell: display its programs, verdicts and runs; keep the result in
    ``_bpf`` of the user's namespace. Errors show as a message, not a traceback."""
    from IPython.display import HTML, display

    try:
        args = _parser().parse_args(shlex.split(line))
        result = run_cell(cell, lang=args.lang, prog_type=args.prog_type,
                          mem=_hex(args.mem, "--mem"), packet=_hex(args.packet, "--packet"),
                          run=args.run, name=args.name)
    except (PybpfError, argparse.ArgumentError, SyntaxError) as exc:
        display(HTML(error_html(exc)))
        return None
    if args.html:
        from ..viewer.page import verifier_page, write_page

        write_page(args.html, verifier_page(result.runs))
    if user_ns is not None:
        user_ns["_bpf"] = result
    display(result)
    return None


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext pybpf.notebook``: register ``%%bpf`` and the rich displays."""
    from .. import viewer  # noqa: F401 - registers the _repr_html_ drawings

    def bpf_magic(line: str, cell: str) -> None:
        bpf(line, cell, ipython.user_ns)

    bpf_magic.__doc__ = _DOC
    ipython.register_magic_function(bpf_magic, magic_kind="cell", magic_name="bpf")


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext pybpf.notebook``: remove ``%%bpf``."""
    ipython.magics_manager.magics["cell"].pop("bpf", None)


__all__ = ["bpf", "load_ipython_extension", "unload_ipython_extension"]
