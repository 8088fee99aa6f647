#!/usr/bin/env python3
"""The wheel a user installs: built, installed in a clean venv without a compiler, used.

    python .ci/wheel_test.py [--keep]      (tests/test_wheel.py runs it in `make test`)

1. ``python -m build`` makes the sdist, then the wheel *from the sdist* (so the sdist must
   carry everything the build needs); no setuptools deprecation warning may appear.
2. A new venv; ``PATH`` holds the venv and a copy of the system's command directories with
   every C compiler left out (gcc, cc, c++, clang...): the machine of a user without one.
3. ``pip install --only-binary :all: pybpf-*.whl``: nothing may need compiling (the wheel
   carries ``pybpf._native``, built against the stable ABI), and no deprecation warning.
4. From a directory outside the checkout (so the installed copy is the one imported):
   ``examples/demo.py``, the assembler/verifier/VM through the API and the ``pybpf``
   command, and, when bpf() is usable (root), a program loaded and run by the kernel
   through the wheel's compiled module.

Exit status 0 when every step passed; each failure is printed with the output that shows it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: names of C compilers and their front ends, as Debian installs them
COMPILER = re.compile(r"^(?:[\w.-]+-)?(?:cc|c\+\+|c89|c99|gcc|g\+\+|cpp|clang|clang\+\+|clang-cpp|tcc)"
                      r"(?:-\d+(?:\.\d+)*)?$")
#: a deprecation warning of setuptools/pip (not a file name such as pybpf/_deprecated.py)
WARNING = re.compile(r"DeprecationWarning|SetuptoolsWarning|\bdeprecated\b", re.I)

SMOKE = r"""
import os, sys
import pybpf
from pybpf.vm import VM
assert os.path.realpath(pybpf.__file__).startswith(os.path.realpath(sys.prefix)), pybpf.__file__
prog = pybpf.assemble("r0 = 0\nr1 = 10\nloop:\nr0 += r1\nr1 -= 1\nif r1 != 0 goto loop\nexit")
assert VM().run(prog).r0 == 55
report = pybpf.verify(prog, "socket_filter")
assert report.accepted, report.summary
bad = pybpf.assemble("exit")  # R0 never set
assert not pybpf.verify(bad, "socket_filter").accepted
print("api ok")
"""

KERNEL_SMOKE = r"""
import pybpf
prog = pybpf.assemble("r0 = 7\nexit")
with pybpf.load(prog, "socket_filter") as p:
    assert p.test_run(b"\0" * 64).retval == 7
print("kernel ok")
"""


def no_compiler_path(tmp: Path) -> str:
    """A directory of links to every command on the system's PATH except the compilers."""
    tools = tmp / "bin-without-compilers"
    tools.mkdir()
    for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            target = tools / name
            if COMPILER.match(name) or target.exists() or target.is_symlink():
                continue
            target.symlink_to(os.path.join(d, name))
    return str(tools)


class Step:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def run(self, title: str, cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None,
            expect: str | None = None, no_warnings: bool = False) -> str:
        start = time.monotonic()
        res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
        out = res.stdout + res.stderr
        took = time.monotonic() - start
        problem = None
        if res.returncode:
            problem = f"exit {res.returncode}"
        elif expect is not None and expect not in out:
            problem = f"{expect!r} not in the output"
        elif no_warnings:
            warned = [ln for ln in out.splitlines() if WARNING.search(ln)]
            if warned:
                problem = "warnings: " + " | ".join(warned[:5])
        print(f"{'FAIL' if problem else 'ok  '} {title} ({took:.1f}s)" + (f": {problem}" if problem else ""),
              flush=True)
        if problem:
            self.failures.append(title)
            print("\n".join("    " + ln for ln in out.splitlines()[-40:]))
        return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="pybpf-wheel-"))
    step = Step()
    try:
        dist = tmp / "dist"
        # build from a copy of the committed tree plus the working changes, never touching
        # the checkout itself (python -m build writes an egg-info beside the sources)
        src = tmp / "src"
        files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split()
        for f in files:
            if (ROOT / f).is_file():
                (src / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / f, src / f)
        step.run("python -m build (sdist, then the wheel from the sdist)",
                 [sys.executable, "-m", "build", "--outdir", str(dist), str(src)],
                 cwd=tmp, expect="Successfully built", no_warnings=True)
        wheels = sorted(dist.glob("pybpf-*.whl"))
        sdists = sorted(dist.glob("pybpf-*.tar.gz"))
        if not wheels or not sdists:
            step.failures.append("build produced no wheel or no sdist")
            return 1
        print(f"     {sdists[0].name}, {wheels[0].name}")

        venv = tmp / "venv"
        step.run("a clean venv", [sys.executable, "-m", "venv", str(venv)], cwd=tmp)
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "VIRTUAL_ENV", "CC", "CXX", "PYTHONHOME")}
        env["PATH"] = f"{venv / 'bin'}:{no_compiler_path(tmp)}"
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        found = [c for c in ("gcc", "cc", "clang", "clang-19", "c++", "tcc")
                 if shutil.which(c, path=env["PATH"])]
        if found:
            step.failures.append(f"compilers still on PATH: {found}")
        py = str(venv / "bin" / "python")
        step.run("pip install the wheel (binary only, no compiler on PATH)",
                 [py, "-m", "pip", "install", "-q", "--only-binary", ":all:", str(wheels[0])],
                 cwd=tmp, env=env, no_warnings=True)
        run_dir = tmp / "elsewhere"
        run_dir.mkdir()
        shutil.copy2(ROOT / "examples" / "demo.py", run_dir / "demo.py")
        step.run("examples/demo.py", [py, "demo.py"], cwd=run_dir, env=env, expect="r0 = 55")
        step.run("assembler, verifier and VM through the API", [py, "-c", SMOKE], cwd=run_dir,
                 env=env, expect="api ok")
        (run_dir / "prog.s").write_text("r0 = 1\nr1 = 5\nif r1 > 3 goto out\nr0 = 2\nout:\nexit\n")
        pybpf = str(venv / "bin" / "pybpf")
        step.run("pybpf run prog.s", [pybpf, "run", "prog.s"], cwd=run_dir, env=env,
                 expect="r0 = 0x1 (1)")
        step.run("pybpf verify prog.s", [pybpf, "verify", "prog.s", "--type", "socket_filter"],
                 cwd=run_dir, env=env, expect="accepted")
        if os.geteuid() == 0 and os.path.exists("/sys/kernel/btf/vmlinux"):
            step.run("the kernel through the wheel's compiled module", [py, "-c", KERNEL_SMOKE],
                     cwd=run_dir, env=env, expect="kernel ok")
        else:
            print("skip the kernel step: not root")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if step.failures:
        print(f"wheel test: {len(step.failures)} step(s) failed: {', '.join(step.failures)}")
        return 1
    print("wheel test: every step passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
