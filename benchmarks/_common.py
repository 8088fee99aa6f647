"""Helpers shared by the benchmarks: timing, and the one-JSON-line-per-figure output.

Every figure is printed as one JSON line::

    {"benchmark": "asm", "metric": "assemble_100k_s", "pybpf": 0.8, "peer": "llvm-mc-19",
     "peer_value": 0.4, "ratio": 0.5}

where ``ratio`` > 1 always means pybpf is better, whatever the unit: for a
time (lower is better) ``ratio = peer_value / pybpf``, for a rate (higher is
better) ``ratio = pybpf / peer_value``.

>>> ratio(2.0, 1.0, lower_is_better=True)
0.5
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def ratio(pybpf: float, peer: float, *, lower_is_better: bool) -> float:
    """The ratio that is > 1 when pybpf is better."""
    if lower_is_better:
        return peer / pybpf if pybpf else float("inf")
    return pybpf / peer if peer else float("inf")


def emit(benchmark: str, metric: str, pybpf: float, peer: str, peer_value: float, *,
         lower_is_better: bool = True, **extra: Any) -> dict[str, Any]:
    """Print one figure as a JSON line (and return it)."""
    rec: dict[str, Any] = {
        "benchmark": benchmark, "metric": metric, "pybpf": round(pybpf, 6), "peer": peer,
        "peer_value": round(peer_value, 6),
        "ratio": round(ratio(pybpf, peer_value, lower_is_better=lower_is_better), 4),
    }
    rec.update(extra)
    print(json.dumps(rec), flush=True)
    return rec


def skip(benchmark: str, metric: str, reason: str) -> None:
    """Print a figure that could not be measured, with the reason."""
    print(json.dumps({"benchmark": benchmark, "metric": metric, "skipped": reason}), flush=True)


def need(*tools: str) -> str | None:
    """None when every tool is on PATH, else a reason naming the missing ones."""
    missing = [t for t in tools if shutil.which(t) is None]
    return f"missing {', '.join(missing)}" if missing else None


def pybpf_cmd() -> list[str]:
    """How to run the ``pybpf`` command as a whole process (`installed_python` -m pybpf)."""
    return [installed_python(), "-m", "pybpf"]


def installed_python() -> str:
    """An interpreter that sees pybpf as an installed wheel does: a virtual environment
    (made once, beside the system's temporary files) whose path file lists a directory
    holding only ``pybpf`` (a link to this tree's package, compiled module included) and
    this interpreter's site-packages (cffi, pyelftools, numpy, and the peers installed
    there).

    An editable install (``pip install -e``) adds an import hook to every start of the
    development venv's interpreter (it imports pathlib, re, fnmatch and urllib: about 17 ms
    here); a user's installed pybpf has none, so whole-process figures are taken without it.
    """
    import hashlib
    import sysconfig

    key = hashlib.sha256(f"{sys.executable}\n{ROOT}".encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"pybpf-bench-python-{key}"
    python = home / "venv" / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home / "venv")],
                       check=True)
        (home / "packages").mkdir(exist_ok=True)
        link = home / "packages" / "pybpf"
        if not link.exists():
            link.symlink_to(ROOT / "pybpf")
        paths = [str(home / "packages")]
        for key_ in ("purelib", "platlib"):
            path = sysconfig.get_paths()[key_]
            if path not in paths:
                paths.append(path)
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        Path(site, "pybpf-bench.pth").write_text("".join(p + "\n" for p in paths))
    return str(python)


def pybpf_env(cache_dir: str | Path) -> dict[str, str]:
    """Environment for timing ``pybpf`` as installed: with cached bytecode.

    An installed package has its ``.pyc`` files; a shell with
    ``PYTHONDONTWRITEBYTECODE=1`` would recompile every module on every run.
    The cache goes to ``cache_dir`` (``PYTHONPYCACHEPREFIX``), not the source tree,
    and the warm-up run of `measure` fills it.
    """
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(cache_dir)}


def run_once(argv: Sequence[str], *, stdout: Any = subprocess.DEVNULL,
             env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``argv``; RuntimeError naming the command on failure.

    CPU is the child's user + system time: on a machine shared with other work
    it moves much less than the wall time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(list(argv), stdout=stdout, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: "
                           f"{proc.stderr.decode(errors='replace').strip()[:500]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def measure(argv: Sequence[str], *, repeat: int = 5, warmup: int = 1,
            env: dict[str, str] | None = None) -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``repeat`` whole-process runs of ``argv`` after ``warmup``."""
    full_env = None if env is None else {**os.environ, **env}
    for _ in range(warmup):
        run_once(argv, env=full_env)
    runs = [run_once(argv, env=full_env) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def measure_pair(ours: Sequence[str], peer: Sequence[str], *, repeat: int = 5, warmup: int = 1,
                 env: dict[str, str] | None = None) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (wall, CPU) seconds of ``ours`` and of ``peer``, run alternately (ours, peer,
    ours, ...) so that a change in the machine's load between runs weighs on both alike.
    ``env`` applies to ``ours`` only."""
    full_env = None if env is None else {**os.environ, **env}
    for _ in range(warmup):
        run_once(ours, env=full_env)
        run_once(peer)
    a: list[tuple[float, float]] = []
    b: list[tuple[float, float]] = []
    for _ in range(repeat):
        a.append(run_once(ours, env=full_env))
        b.append(run_once(peer))
    return ((statistics.median(w for w, _ in a), statistics.median(c for _, c in a)),
            (statistics.median(w for w, _ in b), statistics.median(c for _, c in b)))


def instructions(argv: Sequence[str], *, env: dict[str, str] | None = None) -> int | None:
    """Instructions one run of ``argv`` executes, counted by valgrind's callgrind (None
    without valgrind): the same on every run, whatever else the machine is doing."""
    if shutil.which("valgrind") is None:
        return None
    full_env = {**os.environ, "PYTHONHASHSEED": "0", **(env or {})}
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=full_env, text=True)
    for line in proc.stderr.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1])
    return None


def time_command(argv: Sequence[str], *, repeat: int = 5, warmup: int = 1,
                 env: dict[str, str] | None = None) -> float:
    """Median wall time of ``repeat`` whole-process runs of ``argv`` (after ``warmup``)."""
    return measure(argv, repeat=repeat, warmup=warmup, env=env)[0]


def time_call(fn: Callable[[], object], *, repeat: int = 5) -> float:
    """Best wall time of ``repeat`` in-process calls of ``fn``."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _merge_tree(sources: list[Path], dest: Path) -> None:
    """Symlink the union of ``sources`` into ``dest``; directories present in several are merged."""
    dest.mkdir(parents=True, exist_ok=True)
    names: dict[str, list[Path]] = {}
    for src in sources:
        for entry in src.iterdir():
            names.setdefault(entry.name, []).append(entry)
    for name, entries in names.items():
        dirs = [e for e in entries if e.is_dir() and not e.is_symlink()]
        if len(dirs) > 1:
            _merge_tree(dirs, dest / name)
        else:
            (dest / name).symlink_to(entries[-1].resolve())


def bcc_env(workdir: Path) -> dict[str, str]:
    """Environment for a BCC peer process.

    BCC compiles even a bare map declaration against kernel headers. This kernel ships
    none (/lib/modules/$(uname -r)/build is absent), so point BCC_KERNEL_SOURCE at
    Debian's newest linux-headers package, its arch part and common part merged into one
    tree under ``workdir`` (BCC takes a single directory).
    """
    env = dict(os.environ)
    if Path(f"/lib/modules/{os.uname().release}/build").exists() or "BCC_KERNEL_SOURCE" in env:
        return env
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    builds = sorted(Path("/usr/src").glob(f"linux-headers-*-{arch}"))
    if not builds:
        return env
    build = builds[-1]
    common = build.with_name(build.name[: -len(arch)] + "common")
    tree = workdir / "kernel-headers"
    if not tree.exists():
        _merge_tree([common, build] if common.is_dir() else [build], tree)
    env["BCC_KERNEL_SOURCE"] = str(tree)
    return env
