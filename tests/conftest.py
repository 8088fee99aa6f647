"""Shared pytest fixtures and the kernel-test policy.

- ``kernel`` tests need bpf(); they skip with a reason only when bpf() is really
  unavailable (not root). With ``PYBPF_REQUIRE_KERNEL=1`` (set by .ci/run) such a
  skip is turned into a failure.
- ``tracefs`` tests read the kernel's tracepoint formats (DSL probes on tracepoints); they
  skip where tracefs cannot be read (not root), and fail instead with PYBPF_REQUIRE_KERNEL=1.
- ``clang`` tests need clang-19 / llvm-mc-19 / llvm-objdump-19.
- shared data is read from ../shared (``shared_dir`` fixture) and skipped when absent.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# One commit, one verdict: the suite draws the same hypothesis examples on every run
# (derandomize: the examples are a function of the test alone), with no example
# database carried between runs and no wall-clock deadline (a loaded machine must not
# fail a test). Random exploration lives in `make fuzz` and fuzz/; what it finds is
# kept as an @example or a regression file. HYPOTHESIS_PROFILE=explore draws new
# examples on every run, for a contributor hunting bugs by hand.
settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("explore", deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
#: the bpf_conformance vectors (PYBPF_CONFORMANCE_DIR names them for a worktree outside /work/main)
CONFORMANCE = Path(os.environ.get("PYBPF_CONFORMANCE_DIR")
                   or SHARED / "conformance" / "bpf_conformance" / "tests")
REQUIRE_KERNEL = os.environ.get("PYBPF_REQUIRE_KERNEL") == "1"
# Compiled DSL probes are not kept between runs here (pybpf.dsl.cache): a test compiles what
# its source says, whatever an earlier run kept; tests/dsl/test_cache.py turns it on.
os.environ["PYBPF_DSL_CACHE"] = "0"

_kernel_ran = {"passed": 0, "failed": 0, "skipped": 0}


def kernel_unavailable() -> str | None:
    """Why bpf() cannot be used here, or None: what the kernel says this process holds
    (CapEff), not its uid, decides."""
    if not Path("/proc/sys/kernel/unprivileged_bpf_disabled").exists() and os.uname().sysname != "Linux":
        return "not Linux: no bpf() syscall"
    from pybpf.errors import MissingCapability
    from pybpf.kernel.caps import ALL_BPF, require

    try:
        require("the kernel tests (bpf() with every program type)", ALL_BPF)
    except MissingCapability as exc:
        return str(exc)
    return None


def tracefs_unavailable() -> str | None:
    """Why the kernel's tracepoint formats cannot be read here, or None."""
    events = Path("/sys/kernel/tracing/events")
    try:
        next(events.iterdir())
    except (OSError, StopIteration) as exc:
        return f"cannot read the kernel's tracepoint formats in {events} ({exc}): needs root"
    return None


def clang_unavailable() -> str | None:
    missing = [t for t in ("clang-19", "llvm-mc-19", "llvm-objdump-19") if shutil.which(t) is None]
    return f"missing {', '.join(missing)} (apt-get install clang-19 llvm-19)" if missing else None


#: node ids of the tests marked ``kernel`` (the marker, not a keyword: the folder name
#: ``tests/kernel`` is a keyword of every test in it, marked or not)
_kernel_tests: set[str] = set()


def pytest_collection_modifyitems(config, items):
    kreason = kernel_unavailable()
    creason = clang_unavailable()
    treason = tracefs_unavailable()
    for item in items:
        if item.get_closest_marker("kernel"):
            _kernel_tests.add(item.nodeid)
        if kreason and item.get_closest_marker("kernel") and not REQUIRE_KERNEL:
            item.add_marker(pytest.mark.skip(reason=kreason))
        if treason and item.get_closest_marker("tracefs") and not REQUIRE_KERNEL:
            item.add_marker(pytest.mark.skip(reason=treason))
        if creason and item.get_closest_marker("clang"):
            item.add_marker(pytest.mark.skip(reason=creason))


def pytest_runtest_setup(item):
    if REQUIRE_KERNEL and item.get_closest_marker("kernel"):
        reason = kernel_unavailable()
        if reason:
            pytest.fail(f"PYBPF_REQUIRE_KERNEL=1 but the kernel is unavailable: {reason}")
    if REQUIRE_KERNEL and item.get_closest_marker("tracefs"):
        reason = tracefs_unavailable()
        if reason:
            pytest.fail(f"PYBPF_REQUIRE_KERNEL=1 but tracefs is unavailable: {reason}")


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        if report.nodeid in _kernel_tests:
            outcome = report.outcome
            if hasattr(report, "wasxfail"):  # an expected failure ran: not a skip
                outcome = "xfailed" if report.outcome == "skipped" else "xpassed"
            _kernel_ran[outcome] = _kernel_ran.get(outcome, 0) + 1


def pytest_terminal_summary(terminalreporter):
    k = _kernel_ran
    terminalreporter.write_line(
        f"kernel tests: {k['passed']} passed, {k['failed']} failed, {k['skipped']} skipped"
        + "".join(f", {k[o]} {o}" for o in ("xfailed", "xpassed") if k.get(o))
        + f" (ran on the live kernel: {k['passed'] + k['failed'] + k.get('xfailed', 0) + k.get('xpassed', 0)})")


@pytest.fixture(scope="session", autouse=True)
def running_kernel_profile():
    """With bpf() at hand, the verifier judges helper calls by this kernel's own measured
    availability (kernel builds differ), as `pybpf verify` does; without it, by the shipped
    table."""
    if kernel_unavailable() is None:
        from pybpf.kernel.features import running_kernel_profile as measure

        measure()
    yield


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"shared conformance vectors absent ({CONFORMANCE})")
    return CONFORMANCE


PROGS = ROOT / "tests" / "progs"
_ARCH_INCLUDE = f"/usr/include/{os.uname().machine}-linux-gnu"


@pytest.fixture(scope="session")
def bpf_compile(tmp_path_factory):
    """Compile tests/progs/NAME.bpf.c with clang-19 -O2 -g -target bpf; returns the .o path.

    Extra include dirs (e.g. one holding a generated vmlinux.h) may be passed.
    """
    import subprocess

    reason = clang_unavailable()
    if reason:
        pytest.skip(reason)
    out_dir = tmp_path_factory.mktemp("bpfobj")
    cache: dict[tuple, Path] = {}

    def compile_(name: str, *include_dirs: str | Path, defines: tuple[str, ...] = ()) -> Path:
        key = (name, tuple(map(str, include_dirs)), defines)
        if key in cache:
            return cache[key]
        src = PROGS / f"{name}.bpf.c"
        obj = out_dir / f"{name}-{len(cache)}.bpf.o"
        cmd = ["clang-19", "-O2", "-g", "-target", "bpf", "-c", str(src), "-o", str(obj),
               f"-I{_ARCH_INCLUDE}", f"-I{PROGS}"]
        cmd += [f"-I{d}" for d in include_dirs] + [f"-D{d}" for d in defines]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode:
            raise AssertionError(f"clang-19 failed on {src}:\n{res.stderr}")
        cache[key] = obj
        return obj

    return compile_
