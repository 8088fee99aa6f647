"""The pytest plugin (entry point ``pytest11``): fixtures and a marker for testing eBPF programs.

Fixtures (session-scoped, so hypothesis can run many examples through one of them):

- ``bpf_program(source, program=None, prog_type=None, **vm_options)``: a `BpfProgram`
  from a DSL probe file, a ``.bpf.o`` or assembly, with empty maps; its ``run`` runs in
  the VM, and in the kernel too under the ``vm_vs_kernel`` marker;
- ``bpf_vm``: ``bpf_vm.run(source, packet=..., ctx=...)`` and ``bpf_vm.load(source)``,
  always in the VM (no root needed);
- ``bpf_kernel``: the same in the kernel with ``BPF_PROG_TEST_RUN``; the test is skipped,
  with the reason, where bpf() cannot be used (not root).

The marker ``@pytest.mark.vm_vs_kernel`` runs every program the test runs through
``bpf_program`` in the VM and, where the kernel can test-run it (XDP, tc, socket filters,
raw tracepoints; not tracepoints), in the kernel as well, from the same map contents, and
fails the test with a `BackendMismatch` on any difference in return value, packet bytes,
map contents or ring-buffer records. ``--bpf-backend=both`` does that for every test.

``--bpf-cov`` records which instructions and branches the VM ran and prints a report per
source line at the end of the session (``--bpf-cov-report term-missing`` with the missing
lines, ``lcov:PATH`` and ``coverage:PATH`` write LCOV and coverage.py data files)::

    pytest examples/testing --bpf-cov --bpf-cov-report term-missing --bpf-cov-report lcov:bpf.lcov

Nothing here needs a kernel unless a test asks for one.
"""

from __future__ import annotations

from typing import Any

import pytest

MARKER = "vm_vs_kernel"
_STATE: dict[str, Any] = {"cov": None, "backend": None}


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("pybpf", "eBPF programs (pybpf)")
    group.addoption("--bpf-cov", action="store_true", default=False,
                    help="record which eBPF instructions, branches and source lines the VM ran")
    group.addoption("--bpf-cov-report", action="append", default=[], metavar="TYPE",
                    help="term (default), term-missing, lcov:PATH, coverage:PATH; repeatable")
    group.addoption("--bpf-backend", choices=("vm", "both"), default=None,
                    help="'both': every test runs its programs in the VM and the kernel, "
                         "as the vm_vs_kernel marker does")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: run the test's eBPF programs in the VM and, where the kernel can "
        "test-run them, in the kernel; fail on any difference in return value, packet bytes, "
        "map contents or records (pybpf.testing)")
    if config.getoption("bpf_cov", False) or config.getoption("bpf_cov_report", None):
        from ..coverage import Coverage

        _STATE["cov"] = Coverage()
    _STATE["backend"] = config.getoption("bpf_backend", None)


def _backend_for(item: Any) -> str:
    from .runner import kernel_unavailable

    wants_both = item.get_closest_marker(MARKER) is not None or _STATE["backend"] == "both"
    return "both" if wants_both and kernel_unavailable() is None else "vm"


def pytest_runtest_setup(item: Any) -> None:
    from .runner import set_default_backend

    set_default_backend(_backend_for(item))


def pytest_runtest_teardown(item: Any, nextitem: Any) -> None:
    from .runner import set_default_backend

    set_default_backend("vm")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    cov = _STATE.get("cov")
    if cov is None:
        return
    from ..coverage import text_report, write_coverage_data, write_lcov

    files = cov.files()
    reports = config.getoption("bpf_cov_report") or ["term"]
    tr = terminalreporter
    for rep in reports:
        kind, _, path = rep.partition(":")
        if kind in ("term", "term-missing"):
            tr.write_sep("-", "eBPF coverage (pybpf)")
            for line in text_report(files, show_missing=kind == "term-missing").splitlines():
                tr.write_line(line)
        elif kind == "lcov":
            tr.write_line(f"eBPF coverage LCOV written to {write_lcov(files, path or 'bpf.lcov')}")
        elif kind == "coverage":
            out = write_coverage_data(files, path or ".coverage")
            tr.write_line(f"eBPF coverage data (coverage.py) written to {out}")
        else:
            tr.write_line(f"--bpf-cov-report: unknown report {rep!r} (term, term-missing, "
                          "lcov:PATH, coverage:PATH)")


def session_coverage() -> Any:
    """The session's `pybpf.coverage.Coverage` (``--bpf-cov``), or None."""
    return _STATE.get("cov")


class Programs:
    """Programs of one session, loaded once per (source, program, type) and handed out
    with empty maps."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._all: list[Any] = []

    def get(self, source: Any, program: str | None, prog_type: str | None,
            vm_options: dict[str, Any]) -> Any:
        from .runner import BpfProgram

        key = (source if isinstance(source, str) else id(source), program, prog_type)
        prog = None if vm_options else self._cache.get(key)
        if prog is None:
            prog = BpfProgram.load(source, program=program, prog_type=prog_type, **vm_options)
            self._all.append(prog)
            if not vm_options:
                self._cache[key] = prog
        prog.coverage = session_coverage()
        return prog.reset()

    def close(self) -> None:
        for prog in self._all:
            prog.close()
        self._all.clear()
        self._cache.clear()


class Backend:
    """``bpf_vm`` / ``bpf_kernel``: load and run programs in one place."""

    def __init__(self, name: str, programs: Programs) -> None:
        self.name = name
        self._programs = programs

    def load(self, source: Any, *, program: str | None = None, prog_type: str | None = None,
             **vm_options: Any) -> Any:
        """The program with empty maps (see `pybpf.testing.runner.BpfProgram.load`)."""
        return self._programs.get(source, program, prog_type, vm_options)

    def run(self, source: Any, *, program: str | None = None, prog_type: str | None = None,
            packet: bytes | None = None, ctx: bytes | None = None) -> Any:
        """Load (empty maps) and run once; the `Outcome`."""
        prog = self.load(source, program=program, prog_type=prog_type)
        return prog.run(packet=packet, ctx=ctx, backend=self.name)

    def __repr__(self) -> str:
        return f"<pybpf {self.name} backend>"


@pytest.fixture(scope="session")
def _bpf_programs() -> Any:
    progs = Programs()
    yield progs
    progs.close()


@pytest.fixture(scope="session")
def bpf_program(_bpf_programs: Programs) -> Any:
    """``bpf_program(source, program=None, prog_type=None, **vm_options)``: a `BpfProgram`
    with empty maps; ``run`` uses the VM, and the kernel too under ``vm_vs_kernel``."""
    def make(source: Any, program: str | None = None, prog_type: str | None = None,
             **vm_options: Any) -> Any:
        return _bpf_programs.get(source, program, prog_type, vm_options)
    return make


@pytest.fixture(scope="session")
def bpf_vm(_bpf_programs: Programs) -> Backend:
    """Run programs in the VM: ``bpf_vm.run(source, packet=...)``, ``bpf_vm.load(source)``."""
    return Backend("vm", _bpf_programs)


@pytest.fixture(scope="session")
def bpf_kernel(_bpf_programs: Programs) -> Backend:
    """Run programs in the kernel (``BPF_PROG_TEST_RUN``); skips the test, with the reason,
    where bpf() cannot be used."""
    from .runner import kernel_unavailable

    why = kernel_unavailable()
    if why is not None:
        pytest.skip(f"bpf_kernel: {why}")
    return Backend("kernel", _bpf_programs)
