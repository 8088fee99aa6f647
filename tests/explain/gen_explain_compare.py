"""Write docs/explain-compare.md: for 20 catalog programs, what the kernel, libbpf, BCC and
pybpf say about the same rejection (run as root: python -m tests.explain.gen_explain_compare).

Needs clang-19, bpftool (7.1, built with libbpf 1.1: its ``prog load`` prints libbpf's
output), python3-bpfcc (BCC 0.26, run by the system python3) and kernel headers for BCC
(``BCC_KERNEL_SOURCE``, a directory with include/ and include/generated; Debian's
linux-headers-*-common and -amd64 trees merged). Each program is compiled once; the kernel
log is the one ``pybpf load`` gets (log level 1).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from pybpf.elf.loader import BpfObject
from pybpf.errors import ProgLoadError
from pybpf.explain.api import explain_object

from .catalog_format import CATALOG, load_entry

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ["31_null_deref", "32_unbounded_index", "34_packet_unchecked", "36_ctx_wrong_field",
            "37_ringbuf_reserve_variable", "38_helper_for_type", "39_cgroup_return",
            "40_uninit_after_call", "42_ringbuf_leak", "45_null_pointer_math", "49_infinite_loop",
            "53_unbounded_min_math", "55_gpl_only", "56_unknown_helper", "58_size_negative",
            "60_packet_write", "62_ctx_modified", "64_call_depth", "70_int_index_checked_on_copy",
            "71_int_len_clamp_on_copy"]
#: BCC program types by libbpf section prefix
_BCC_TYPES = {"socket": "SOCKET_FILTER", "xdp": "XDP", "tc": "SCHED_CLS",
              "cgroup_skb": "CGROUP_SKB", "raw_tp": "RAW_TRACEPOINT", "tracepoint": "TRACEPOINT"}
_BCC_SCRIPT = r'''
import re, sys
from bcc import BPF
src = open(sys.argv[1]).read()
src = re.sub(r'SEC\("[^"]*"\)\n', '', src)
src = re.sub(r'char LICENSE\[\] SEC\("license"\) = "([^"]*)";\n', '', src)
src = src.replace('#include <bpf/bpf_helpers.h>\n', '')
# libbpf-style maps to BCC's macros, map helpers to BCC's map methods
KIND = {"ARRAY": "array", "HASH": "hash", "PERCPU_ARRAY": "percpu_array",
        "PROG_ARRAY": "prog"}
def table(m):
    body, name = m.group(1), m.group(2)
    f = dict(re.findall(r"__(?:uint|type)\((\w+), ([^)]*)\)", body))
    t = f["type"].replace("BPF_MAP_TYPE_", "")
    if t == "RINGBUF":
        return f"BPF_RINGBUF_OUTPUT({name}, {int(f['max_entries']) // 4096});"
    return (f'BPF_TABLE("{KIND.get(t, t.lower())}", {f.get("key", "u32")}, '
            f'{f.get("value", "u32")}, {name}, {f["max_entries"]});')
src = re.sub(r"struct \{([^}]*)\} (\w+) SEC\(\"\.maps\"\);", table, src)
src = re.sub(r"bpf_map_lookup_elem\(&(\w+), ", r"\1.lookup(", src)
src = re.sub(r"bpf_map_update_elem\(&(\w+), ", r"\1.update(", src)
src = re.sub(r"bpf_ringbuf_output\(&(\w+), ", r"\1.ringbuf_output(", src)
src = re.sub(r"bpf_ringbuf_reserve\(&(\w+), ([^,]+), 0\)", r"\1.ringbuf_reserve(\2)", src)
src = re.sub(r"\.update\(([^,]+), ([^,]+), BPF_ANY\)", r".update(\1, \2)", src)
try:
    b = BPF(text=src)
    b.load_func(sys.argv[2], getattr(BPF, sys.argv[3]))
    print("(loaded)")
except Exception as e:
    print(f"Exception: {e}")
'''
INTRO = """# Four explanations of the same rejection

For 20 programs of the catalog (`tests/explain/catalog/`, see docs/verifier-errors.md), what a
user sees from each tool when the kernel (6.18) rejects the program, so a reader can judge:

- **kernel**: the end of the verifier log (log level 1), as every loader receives it;
- **libbpf**: `bpftool prog load PROG.o PIN` (bpftool 7.1 with libbpf 1.1), which prints
  libbpf's own messages around the log;
- **BCC**: python3-bpfcc 0.26 loading the same C with `BPF(text=...)` and `load_func` (the
  catalog's libbpf-style `SEC(".maps")` maps are rewritten into BCC's `BPF_TABLE` /
  `BPF_RINGBUF_OUTPUT` and map helpers into BCC's map methods, `.lookup()`,
  `.ringbuf_output()`...; BCC's own rewriter and headers do the rest);
- **pybpf**: `pybpf verify PROG.o` (pybpf's own verifier; `pybpf explain LOG --object PROG.o`
  prints the same for the kernel's log).

Every output below was produced by `python -m tests.explain.gen_explain_compare` on this
machine; long outputs are cut to their last lines (marked `...`).
"""


def _tail(text: str, n: int) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join((["..."] if len(lines) > n else []) + lines[-n:])


def _compile(src: Path, out: Path) -> None:
    subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf",
                    f"-I/usr/include/{os.uname().machine}-linux-gnu", "-c", str(src), "-o",
                    str(out)], check=True)


def _kernel(obj: Path) -> str:
    with BpfObject.open(str(obj)) as o:
        try:
            o.load()
        except ProgLoadError as e:
            return e.log
    return "(loaded)"


def _libbpf(obj: Path, n: int) -> str:
    pin = f"/sys/fs/bpf/pybpf_compare_{os.getpid()}_{n}"
    res = subprocess.run(["bpftool", "prog", "load", str(obj), pin], capture_output=True,
                         text=True)
    if os.path.exists(pin):
        os.unlink(pin)
    return (res.stdout + res.stderr).strip() or "(loaded)"


def _bcc(src: Path, func: str, section: str) -> str:
    ptype = _BCC_TYPES.get(section.split("/")[0], "SOCKET_FILTER")
    env = dict(os.environ)
    env.setdefault("BCC_KERNEL_SOURCE", "/tmp/ksrc")
    res = subprocess.run(["/usr/bin/python3", "-c", _BCC_SCRIPT, str(src), func, ptype],
                         capture_output=True, text=True, env=env, timeout=120)
    out = "\n".join(ln for ln in (res.stderr + res.stdout).splitlines()
                    if not ln.startswith(("modprobe:", "Unable to find kernel headers",
                                          "chdir(")))
    return out.strip()


def main() -> None:
    out = [INTRO]
    with tempfile.TemporaryDirectory() as tmp:
        for n, stem in enumerate(PROGRAMS):
            src = CATALOG / f"{stem}.c"
            entry = load_entry(src)
            obj = Path(tmp, f"{stem}.o")
            _compile(src, obj)
            with BpfObject.open(str(obj)) as o:
                (ps,) = o.spec.programs.values()
                func, section = ps.name, ps.section
                (ex,) = explain_object(o)
            rel = src.relative_to(ROOT)
            out += [f"## `{stem}.c`", "",
                    f"[{rel}](../{rel}): the kernel rejects line {entry.fail_line}"
                    + (f"; the root cause is line {entry.root_line}" if entry.root_line
                       and entry.root_line != entry.fail_line else "")
                    + f" ({entry.kind}).", "",
                    "**kernel**", "```", _tail(_kernel(obj), 6), "```",
                    "**libbpf** (bpftool prog load)", "```", _tail(_libbpf(obj, n), 12), "```",
                    "**BCC** (BPF(text=...))", "```", _tail(_bcc(src, func, section), 10), "```",
                    "**pybpf** (pybpf verify)", "```", _shorten(ex.text()), "```", ""]
            print(stem, file=sys.stderr)
    (ROOT / "docs" / "explain-compare.md").write_text("\n".join(out))


def _shorten(text: str) -> str:
    """Paths relative to the repository, so the page reads the same on any checkout."""
    return re.sub(re.escape(str(ROOT)) + "/", "", text)


if __name__ == "__main__":
    main()
