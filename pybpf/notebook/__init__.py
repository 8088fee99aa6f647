"""Jupyter support: ``%load_ext pybpf.notebook`` gives the ``%%bpf`` cell magic.

A ``%%bpf`` cell holds a program in assembly, in the Python DSL or in C (compiled with
clang-19 when it is installed); the cell shows the listing, pybpf verifier's verdict with
the abstract state after each instruction (the failing path shaded, the failing
instruction in red), and a run in the userspace VM. Loading the extension also turns on the
rich display of `ProgramSpec`, `MapSpec`, the verifier's `Report`, VM traces and live maps
(`pybpf.viewer`).

::

    %load_ext pybpf.notebook

    %%bpf --type xdp --packet 00112233445566778899aabb0800
    r0 = 2
    exit

Options: ``--lang asm|dsl|c`` (default: guessed from the cell), ``--type T`` (program
type; a DSL probe or a C ``SEC()`` tells its own), ``--mem HEX`` / ``--packet HEX`` (the
VM's input), ``--run`` / ``--no-run`` (the VM run; by default assembly runs, DSL and C
run when given an input), ``--html OUT.html`` (also write the viewer's page),
``--name NAME``. The last cell's results are in ``_bpf`` (a `CellResult`).
"""
from __future__ import annotations

from .cell import CellResult, guess_language, run_cell
from .magics import load_ipython_extension, unload_ipython_extension

__all__ = ["CellResult", "guess_language", "load_ipython_extension", "run_cell",
           "unload_ipython_extension"]
