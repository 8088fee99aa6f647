"""The trace viewer: every state pybpf computed, as HTML.

- `record_verifier` / `record_vm` keep a whole verifier run (each abstract state, each path)
  or VM run (each concrete step) as data (`VerifierRun`, `VMTrace`);
- `verifier_page` / `vm_page` turn them into one self-contained page (no network) that
  steps through the run with the keyboard; ``pybpf verify --html`` and ``pybpf run --html``
  write these pages;
- the fragments (`program_html`, `report_html`, `verifier_run_html`, `trace_html`,
  `map_html`) are what notebooks show: importing this package registers them as the
  ``_repr_html_`` of `ProgramSpec`, `MapSpec`, the verifier's `Report` and the kernel's
  `Program` and `Map` (see `pybpf.isa.display`).

>>> from pybpf.asm import assemble
>>> run = record_verifier(assemble("r0 = 0\\nexit"), "socket_filter")
>>> run.report.accepted, "accepted" in (run.report._repr_html_() or "")
(True, True)
"""
from __future__ import annotations

from ..isa import MapSpec, ProgramSpec
from ..isa.display import register
from ..verifier.report import Report
from .fragments import (
    loaded_program_html,
    map_html,
    mapspec_html,
    program_html,
    report_html,
    trace_html,
    verifier_run_html,
)
from .page import verifier_page, vm_page, write_page
from .recording import Listing, VerifierRecorder, VerifierRun, VMTrace, record_verifier, record_vm

register(ProgramSpec, program_html)
register(MapSpec, mapspec_html)
register(Report, report_html)
register(VerifierRun, verifier_run_html)
register("pybpf.kernel.maps.base.Map", map_html)  # by name: the viewer never needs the kernel
register("pybpf.kernel.prog.Program", loaded_program_html)

__all__ = [
    "Listing", "VMTrace", "VerifierRecorder", "VerifierRun", "loaded_program_html", "map_html",
    "mapspec_html",
    "program_html", "record_verifier", "record_vm", "report_html", "trace_html",
    "verifier_page", "verifier_run_html", "vm_page", "write_page",
]
