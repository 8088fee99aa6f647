"""Compiled probes kept between runs (pybpf.dsl.cache): a second run of the same file loads the
kept program without the compiler, the same program; anything the compile read that changed
makes it compile again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = """
import json, sys
from pybpf.dsl import load_module, module_probes
mod = load_module(sys.argv[1])
p = module_probes(mod)[0]
(ap, prog, maps), = p.programs()
blobs = p.line_blobs(prog)
lineinfo = "pybpf.dsl.lineinfo" in sys.modules
if blobs is not None:  # the kept line info is what lineinfo makes of the program
    from pybpf.dsl.lineinfo import line_info_blobs
    assert blobs == line_info_blobs(prog)
print(json.dumps({"insns": [i.encode().hex() for i in prog.insns],
                  "line info kept": blobs is not None, "lineinfo": lineinfo,
                  "lines": sorted((i, list(ln)) for i, ln in prog.lines.items()),
                  "maps": sorted(maps), "names": [m.name for m in maps.values()],
                  "compiled": "pybpf.dsl.compiler" in sys.modules,
                  "ast": "_ast" in sys.modules}))
"""

#: wider than a u32: the annotation decides what the program stores
BIG = (1 << 32) + 5

PROBE = """from pybpf.dsl import ArrayMap, probe, u32, u64
N = {n}
T = {t}
counts = ArrayMap(u64)


@probe("tracepoint/syscalls/sys_enter_getpid")
def count(ctx):
    x: T = N
    counts[0] += x
"""


def _run(path: Path, cache: Path, *, enabled: bool = True) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYBPF_DSL_CACHE": "1" if enabled else "0"}
    out = subprocess.run([sys.executable, "-c", RUN, str(path)], capture_output=True, text=True,
                         env=env, check=True).stdout
    return json.loads(out)


def _entries(cache: Path) -> list[Path]:
    d = cache / "pybpf" / "dsl"
    return sorted(d.iterdir()) if d.exists() else []


@pytest.mark.tracefs
def test_second_run_loads_the_kept_program_without_the_compiler(tmp_path: Path) -> None:
    src = tmp_path / "counter.py"
    src.write_text(PROBE.format(n=BIG, t="u32"))
    first = _run(src, tmp_path / "c")
    assert first["compiled"] and first["ast"] and len(_entries(tmp_path / "c")) == 1
    second = _run(src, tmp_path / "c")
    assert not second["compiled"] and not second["ast"]
    # the entry keeps the program's line info: the kept program loads without lineinfo
    assert first["line info kept"] and second["line info kept"] and not second["lineinfo"]
    assert {k: v for k, v in second.items() if k not in ("compiled", "ast", "lineinfo")} == \
        {k: v for k, v in first.items() if k not in ("compiled", "ast", "lineinfo")}
    assert second["names"] == ["counts"]


@pytest.mark.tracefs
@pytest.mark.parametrize("change", ["constant", "annotation", "source line"])
def test_a_changed_global_or_line_compiles_again(tmp_path: Path, change: str) -> None:
    src = tmp_path / "counter.py"
    src.write_text(PROBE.format(n=BIG, t="u32"))
    kept = _run(src, tmp_path / "c")
    _run(src, tmp_path / "c")
    text = {"constant": PROBE.format(n=BIG + 1, t="u32"),
            "annotation": PROBE.format(n=BIG, t="u64"),
            "source line": "# a new first line\n" + PROBE.format(n=BIG, t="u32")}[change]
    src.write_text(text)
    again = _run(src, tmp_path / "c")
    fresh = _run(src, tmp_path / "fresh", enabled=False)
    assert again["compiled"]
    cached_only = ("line info kept", "lineinfo")  # (no entry written without the cache)
    assert {k: v for k, v in again.items() if k not in cached_only} == \
        {k: v for k, v in fresh.items() if k not in cached_only}
    assert (again["insns"], again["lines"]) != (kept["insns"], kept["lines"])


@pytest.mark.tracefs
def test_a_probe_calling_a_user_function_is_not_kept(tmp_path: Path) -> None:
    src = tmp_path / "counter.py"
    src.write_text(PROBE.format(n=BIG, t="u32").replace("x: T = N", "x: T = one()")
                   .replace("@probe", "def one():\n    return N\n\n\n@probe", 1))
    _run(src, tmp_path / "c")
    assert _entries(tmp_path / "c") == []


@pytest.mark.tracefs
def test_switched_off(tmp_path: Path) -> None:
    src = tmp_path / "counter.py"
    src.write_text(PROBE.format(n=BIG, t="u32"))
    _run(src, tmp_path / "c", enabled=False)
    assert _entries(tmp_path / "c") == []


def test_names_of_a_text() -> None:
    from pybpf.dsl.cache import _function_text, _names

    assert _names("x: u32 = a.b + 1 # c2\n9d") == {"x", "u32", "a", "b", "c2"}
    lines = ["@probe('x')\n", "def f(ctx):\n", "    a = 1\n", "\n", "    # c\n", "    b\n",
             "other = 2\n"]
    assert _function_text(lines, 1) == "".join(lines[:6])


def test_prune_keeps_the_newest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pybpf.dsl import cache

    monkeypatch.setattr(cache, "KEEP", 3)
    for i in range(5):
        p = tmp_path / f"{i}.marshal"
        p.write_bytes(b"x")
        os.utime(p, ns=(i * 10**9, i * 10**9))
    (tmp_path / "other").write_bytes(b"")
    cache._prune(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3.marshal", "4.marshal", "other"]
