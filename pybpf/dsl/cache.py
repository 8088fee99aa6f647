"""Compiled probes kept on disk between runs, so a probe file run again on the same kernel
loads without parsing or compiling its Python (``$XDG_CACHE_HOME/pybpf/dsl``, else
``~/.cache/pybpf/dsl``; ``PYBPF_DSL_CACHE=0`` turns it off).

An entry is used only when everything the compile read is what it was:

- the probe's source file (its whole text: line numbers are in the program), its
  function's name and first line, the attach point and the probe's options;
- every name written in the function's lines (decorators to the last body line): its
  value in the module's globals, or builtins', or its absence. A program is kept only
  when each such value is one whose meaning is plain: a number, string, bytes, bool or
  None, an integer type (``u64``), a map (`HashMap`, `ArrayMap`... of integer key and
  value) or a function of pybpf itself; a user function (inlined), a Struct, a module or
  anything else keeps the probe out of the cache;
- the maps the program uses are module globals of their own name (no map made by the
  compile: ``printf``'s channel, ``elapsed``'s start time...);
- the kernel build (its release and ``/proc/version``: vmlinux's BTF is the build's; a
  process that has read a kernel module's BTF keeps nothing), the tracepoint's format file,
  and pybpf's own compiler (the size and time of each file of `pybpf.dsl`, `pybpf.isa`,
  `pybpf.asm` and `pybpf.btf`).

Entries are read with `marshal`, like Python's own ``.pyc`` files: the directory is as
trusted as the user's own files.

A program is written only when the entry read back gives the same `ProgramSpec`. An entry
also keeps the program's BTF line info (`pybpf.dsl.lineinfo`'s three blobs, a function of
the program alone), so a kept program loads without building it.
"""

from __future__ import annotations

import builtins
import marshal
import os
import sys

from ..isa.program import ProgramSpec, Ref, RefKind, SourceLine

TYPE_CHECKING = False  # (not typing's: start-up)
if TYPE_CHECKING:
    from typing import Any

    from .attach import AttachPoint
    from .maps import DslMap
    from .probe import Probe

    #: a program's line info: (its instruction count, (BTF blob, func_info, line_info))
    LineBlobs = tuple[int, tuple[bytes, bytes, bytes]]

__all__ = ["load", "store"]

#: bumped when an entry's layout or meaning changes
SCHEMA = 2
#: attach kinds whose context is the kernel build's alone (no binary, no interface)
KINDS = frozenset({"tracepoint", "raw_tracepoint", "kprobe", "kretprobe", "perf_event",
                   "profile", "interval"})
#: pybpf's packages whose code decides a compiled program
_CODE = ("dsl", "isa", "isa/generated", "asm", "btf")
#: the modules of those packages (a function of theirs means what their code says)
_CODE_MODULES = ("pybpf.dsl.", "pybpf.isa.", "pybpf.asm.", "pybpf.btf.")
#: map classes whose compile is their key and value types, size and flags alone
_MAPS = frozenset({"HashMap", "LruHashMap", "PerCpuHashMap", "ArrayMap", "PerCpuArrayMap",
                   "Histogram", "Global"})

#: entries kept (each a few kilobytes): the oldest go when a new one is written
KEEP = 256

_stamp: tuple[Any, ...] | None = None


def enabled() -> bool:
    return os.environ.get("PYBPF_DSL_CACHE", "1") != "0"


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pybpf", "dsl")


def _code_stamp() -> tuple[Any, ...]:
    """The kernel build and pybpf's compiler, as (name, size, mtime) of its files."""
    global _stamp
    if _stamp is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        files = []
        for sub in _CODE:
            with os.scandir(os.path.join(root, sub)) as it:
                for e in it:
                    if e.name.endswith((".py", ".so")):
                        st = e.stat()
                        files.append((sub, e.name, st.st_size, st.st_mtime_ns))
        try:
            with open("/proc/version", "rb") as f:
                version = f.read()
        except OSError:
            version = b""
        _stamp = (os.uname().release, version, tuple(sorted(files)))
    return _stamp


def _type_print(t: Any) -> tuple[Any, ...] | None:
    from .types import IntType

    if t is None:
        return ("none",)
    if type(t) is IntType:
        return ("int", t.name, t.size, t.signed, t.big)
    return None


def _print(value: Any) -> Any:
    """What a global's value means to the compiler, as marshal-able data; None: unknown."""
    if value is None or type(value) in (bool, int, float, str, bytes):
        return (type(value).__name__, value)
    cls = type(value)
    if cls.__module__ == "pybpf.dsl.probe" and cls.__name__ == "Probe":
        return ("probe", value.name, value.section)
    if cls.__module__ == "pybpf.dsl.maps" and cls.__name__ in _MAPS:
        key, val = _type_print(value.key), _type_print(value.value)
        if key is None or val is None:
            return None
        initial = getattr(value, "initial", 0)
        if type(initial) is not int:
            return None
        return ("map", cls.__name__, key, val, value.max_entries, value.flags, initial)
    t = _type_print(value)
    if t is not None:
        return t
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if (isinstance(module, str) and module.startswith(_CODE_MODULES) and isinstance(qualname, str)
            and getattr(sys.modules.get(module), qualname, None) is value):
        return ("pybpf", module, qualname)
    return None


def _names(text: str) -> set[str]:
    """The identifiers of ``text`` (those in strings and comments too: more names, never
    fewer)."""
    out: set[str] = set()
    word: list[str] = []
    for ch in text:
        if ch.isalnum() or ch == "_":
            word.append(ch)
        elif word:
            if not word[0].isdigit():
                out.add("".join(word))
            word.clear()
    if word and not word[0].isdigit():
        out.add("".join(word))
    return out


def _function_text(lines: list[str], first: int) -> str:
    """The lines of the function starting at line ``first`` (its decorators): up to the
    next line indented no deeper than its ``def``."""
    i = first - 1
    while i < len(lines) and not lines[i].lstrip().startswith(("def ", "async def ")):
        i += 1
    if i >= len(lines):
        return "".join(lines[first - 1:])
    indent = len(lines[i]) - len(lines[i].lstrip())
    j = i + 1
    while j < len(lines):
        s = lines[j].strip()
        if s and not s.startswith("#") and len(lines[j]) - len(lines[j].lstrip()) <= indent:
            break
        j += 1
    return "".join(lines[first - 1:j])


def _key(probe: Probe, ap: AttachPoint) -> tuple[str, tuple[Any, ...]] | None:
    """(file name, the key) of ``probe`` at ``ap``; None when it cannot be cached."""
    fn = probe.fn
    code = getattr(fn, "__code__", None)
    if (code is None or probe.tree is not None or ap.kind not in KINDS
            or getattr(fn, "__closure__", None)
            or probe.namespace is not getattr(fn, "__globals__", None)):
        return None  # (the compiler reads the function's own globals)
    from . import lines as source_lines

    lines = source_lines.getlines(code.co_filename, probe.namespace)
    if not lines:
        return None
    namespace = probe.namespace
    prints = []
    for name in sorted(_names(_function_text(lines, code.co_firstlineno))):
        if name in namespace:
            p = _print(namespace[name])
            if p is None:
                return None
        else:
            p = ("builtin",) if hasattr(builtins, name) else ("missing",)
        prints.append((name, p))
    options = []
    for k, v in sorted(probe.options.items()):
        if v is not None and type(v) not in (bool, int, float, str):
            return None
        options.append((k, v))
    fmt = ""
    if ap.kind == "tracepoint":
        from ..errors import PybpfError
        from ..kernel.tracefs import event_dir

        try:
            with open(os.path.join(event_dir(*ap.target.split(":", 1)), "format")) as f:
                fmt = f.read()
        except (OSError, PybpfError, TypeError):
            return None
    where = (code.co_filename, code.co_qualname if hasattr(code, "co_qualname") else code.co_name,
             code.co_firstlineno, probe.name, ap.kind, ap.target, ap.symbol, ap.rate,
             ap.period_ns, ap.section)
    key = (SCHEMA, where, "".join(lines), tuple(prints), tuple(options), fmt, _code_stamp())
    h = 0xCBF29CE484222325  # FNV-1a of where the probe is: the entry's file name
    for b in repr(where).encode("utf-8", "surrogateescape"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return os.path.join(cache_dir(), f"{h:016x}.marshal"), key


def _program(payload: tuple[Any, ...], maps: dict[str, DslMap]) -> ProgramSpec:
    from ..isa.insn import decode_all

    raw, labels, refs, lines, name, prog_type, license_, section = payload
    prog = ProgramSpec(decode_all(raw), dict(labels),
                       {i: Ref(RefKind(k), n, o) for i, (k, n, o) in refs.items()},
                       {n: m.decl(n) for n, m in maps.items()},
                       {i: SourceLine(*ln) for i, ln in lines.items()}, name, prog_type,
                       license_, section)
    return prog


def load(probe: Probe, ap: AttachPoint
         ) -> tuple[ProgramSpec, dict[str, DslMap], LineBlobs] | None:
    """The kept program of ``probe`` at ``ap``, the maps it uses (their names set) and its
    line info, or None."""
    if not enabled():
        return None
    found = _key(probe, ap)
    if found is None:
        return None
    path, key = found
    try:
        with open(path, "rb") as f:
            schema, kept, payload, map_names, blobs = marshal.loads(f.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if schema != SCHEMA or kept != key:
        return None
    maps = {}
    for n in map_names:
        m = probe.namespace.get(n)
        if m is None:
            return None
        maps[n] = m
    try:
        prog = _program(payload, maps)
        if type(blobs) is not tuple or len(blobs) != 3 or \
                any(type(b) is not bytes for b in blobs):
            return None
    except Exception:  # noqa: BLE001 - a damaged entry: compile instead
        return None
    for n, m in maps.items():
        m.name = n
    return prog, maps, (len(prog.insns), blobs)


def store(probe: Probe, ap: AttachPoint, prog: ProgramSpec, maps: dict[str, DslMap]
          ) -> LineBlobs | None:
    """Keep ``prog`` (compiled from ``probe`` at ``ap``, using ``maps``) when it can be; its
    line info when it was kept (made for the entry: the load reads it there), else None."""
    if not enabled():
        return None
    found = _key(probe, ap)
    if found is None:
        return None
    for n, m in maps.items():
        if probe.namespace.get(n) is not m:
            return None
    if "pybpf.btf.modules" in sys.modules:  # a module's BTF may have been read: a module can
        return None  # be built again under the same kernel (vmlinux's is the kernel build's)
    from ..errors import PybpfError
    from ..isa.insn import encode_all
    from .lineinfo import line_info_blobs

    try:
        payload = (encode_all(prog.insns), dict(prog.labels),
                   {i: (r.kind.value, r.name, r.offset) for i, r in prog.refs.items()},
                   {i: tuple(ln) for i, ln in prog.lines.items()}, prog.name, prog.prog_type,
                   prog.license, prog.section)
        if _program(payload, maps) != prog:
            return None
        blobs = line_info_blobs(prog)
        data = marshal.dumps((SCHEMA, found[1], payload, list(maps), blobs))
    except (ValueError, TypeError, AttributeError, PybpfError):
        return None
    path = found[0]
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _prune(os.path.dirname(path))
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        return None
    return len(prog.insns), blobs


def _prune(directory: str) -> None:
    """Keep the directory to its `KEEP` most recently written entries (a probe file run from
    a new temporary directory each time makes a new entry each time)."""
    with os.scandir(directory) as it:
        entries = [(e.stat().st_mtime_ns, e.path) for e in it if e.name.endswith(".marshal")]
    if len(entries) >= KEEP:
        for _, old in sorted(entries)[:len(entries) - KEEP + 1]:
            try:
                os.remove(old)
            except OSError:
                pass
