"""Run bpf_conformance vectors on the VM (or the kernel) and compare with ``-- result``.

The runtime convention is the conformance suite's: r1 points at the vector's
``-- mem`` bytes, r2 holds their length, and the result is r0 at exit. A
vector with an ``-- error`` section expects the run to fail (a VM fault, or a
program the kernel refuses); it passes when it does.

>>> from pybpf.conformance import parse_vector
>>> v = parse_vector("-- asm\\nmov %r0, %r2\\nexit\\n-- mem\\n00 01\\n-- result\\n0x2\\n")
>>> run_vector_vm(v).status
'pass'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import PybpfError
from ..vm.machine import VM
from .vectors import Vector, load_vectors

PASS, FAIL, SKIP = "pass", "fail", "skip"


@dataclass
class Outcome:
    """One vector's verdict: ``status`` is ``pass``, ``fail`` or ``skip``."""

    name: str
    status: str
    expected: int | None
    got: int | None
    reason: str = ""
    mem: bytes | None = None

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("mem")
        return d


def _judge(vector: Any, got: int | None, error: str | None) -> Outcome:
    expected = vector.result
    if vector.error is not None:
        if error is not None:
            return Outcome(vector.name, PASS, expected, got, f"failed as expected: {error}")
        return Outcome(vector.name, FAIL, expected, got,
                       f"expected a failure ({vector.error}) but the program ran")
    if error is not None:
        return Outcome(vector.name, FAIL, expected, None, error)
    if expected is None:
        return Outcome(vector.name, SKIP, None, got, "the vector has no -- result")
    if got == expected:
        return Outcome(vector.name, PASS, expected, got)
    return Outcome(vector.name, FAIL, expected, got,
                   f"r0 = {got:#x}, expected {expected:#x}")


def run_vector_vm(vector: Any, vm: VM | None = None) -> Outcome:
    """Assemble and run one `pybpf.conformance.Vector` on the VM."""
    vm = vm or VM()
    try:
        program = vector.program()
    except PybpfError as exc:
        return Outcome(vector.name, FAIL, vector.result, None, f"does not assemble: {exc}")
    try:
        res = vm.run(program, mem=bytearray(vector.mem))
    except PybpfError as exc:
        return _judge(vector, None, str(exc))
    out = _judge(vector, res.r0, None)
    out.mem = res.mem
    return out


def run_vector_kernel(vector: Vector) -> Outcome:
    """One bpf_conformance vector on the kernel, as a `conformance.Outcome`."""
    from ..kernel.oracle import run_kernel  # lazy: the kernel layer, only for runtime="kernel"

    try:
        program = vector.program()
    except PybpfError as exc:
        return Outcome(vector.name, FAIL, vector.result, None, f"does not assemble: {exc}")
    verdict = run_kernel(program, vector.mem)
    if verdict.rejected is not None:
        if vector.error is not None:
            return Outcome(vector.name, PASS, vector.result, None,
                           f"rejected as expected: {verdict.rejected}")
        return Outcome(vector.name, SKIP, vector.result, None,
                       f"kernel cannot run it: {verdict.rejected}")
    if vector.result is not None and verdict.r0 == vector.result:
        return Outcome(vector.name, PASS, vector.result, verdict.r0, mem=verdict.mem)
    return Outcome(vector.name, FAIL, vector.result, verdict.r0,
                   f"r0 = {verdict.r0:#x}, expected {vector.result!r}", mem=verdict.mem)


def run_directory(directory: str | Path, runtime: str = "vm",
                  runner: Callable[[Any], Outcome] | None = None) -> list[Outcome]:
    """Every vector of ``directory`` on ``runtime`` (``"vm"`` or ``"kernel"``)."""
    if runner is None:
        if runtime == "vm":
            vm = VM()

            def runner(v: Any) -> Outcome:
                return run_vector_vm(v, vm)
        elif runtime == "kernel":
            runner = run_vector_kernel
        else:
            raise PybpfError(f"unknown runtime {runtime!r} (vm or kernel)")
    return [runner(v) for v in load_vectors(directory)]


def summary(outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """The ``--json`` document of ``pybpf conformance``."""
    results = list(outcomes)
    return {
        "passed": sum(o.status == PASS for o in results),
        "failed": sum(o.status == FAIL for o in results),
        "skipped": sum(o.status == SKIP for o in results),
        "results": [o.as_json() for o in results],
    }


@dataclass
class Comparison:
    """One vector on both runtimes, for the side-by-side table."""

    name: str
    expected: int | None
    vm: Outcome
    kernel: Outcome

    @property
    def memory_agrees(self) -> bool | None:
        if self.vm.mem is None or self.kernel.mem is None:
            return None
        return self.vm.mem == self.kernel.mem


def compare_directory(directory: str | Path) -> list[Comparison]:
    """Every vector of ``directory`` on the VM and on the kernel."""
    vm = VM()
    return [Comparison(v.name, v.result, run_vector_vm(v, vm), run_vector_kernel(v))
            for v in load_vectors(directory)]


def markdown(rows: list[Comparison]) -> str:
    """The docs/conformance.md table: expected, VM and kernel results side by side."""

    def cell(o: Outcome) -> str:
        if o.status == SKIP:
            return "cannot run"
        mark = "" if o.status == PASS else " ✗"
        return f"`{o.got:#x}`{mark}" if o.got is not None else f"error{mark}"

    vm_pass = sum(r.vm.status == PASS for r in rows)
    k_pass = sum(r.kernel.status == PASS for r in rows)
    k_skip = [r for r in rows if r.kernel.status == SKIP]
    k_fail = [r for r in rows if r.kernel.status == FAIL]
    lines = [
        f"- vectors: **{len(rows)}**",
        f"- VM: **{vm_pass} pass**, {sum(r.vm.status == FAIL for r in rows)} fail",
        f"- kernel: **{k_pass} pass**, {len(k_fail)} fail, {len(k_skip)} cannot run "
        "(refused by the verifier, listed below with its reason)",
        f"- output memory identical in the VM and the kernel for "
        f"{sum(r.memory_agrees is True for r in rows)} of the "
        f"{sum(r.memory_agrees is not None for r in rows)} vectors both ran",
        "",
        "## Vectors the kernel cannot run",
        "",
        "| vector | reason |",
        "| --- | --- |",
    ]
    lines += [f"| {r.name} | {r.kernel.reason.removeprefix('kernel cannot run it: ')} |"
              for r in k_skip]
    lines += ["", "## Every vector", "",
              "| vector | expected | VM | kernel | memory |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        memo = {True: "same", False: "**differs**", None: "-"}[r.memory_agrees]
        exp = "-" if r.expected is None else f"`{r.expected:#x}`"
        lines.append(f"| {r.name} | {exp} | {cell(r.vm)} | {cell(r.kernel)} | {memo} |")
    return "\n".join(lines) + "\n"
