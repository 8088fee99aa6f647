"""``pybpf run OBJ.o``: a program of a clang object in the VM, with its maps and globals.

The program (``--program NAME``, by function or section name; the only one by default)
runs once (``--repeat N``: N times, the maps kept between runs) on ``--packet HEX``
(XDP, tc, socket filters) or on a context: ``--ctx HEX`` as given, or for a tracepoint a
record built from its format file with ``--field NAME=VALUE`` (a string for a ``char *``
field goes into a fake user memory). ``--set VAR=VALUE`` sets a global (``.rodata``
before the run), ``--btf FILE`` resolves CO-RE against another kernel's BTF. The output
is r0, the instruction count, every non-empty map (ring-buffer records as hex) and the
global variables by name; ``--json`` prints them as one JSON document.

    $ pybpf run trace_open.bpf.o --field filename=/etc/hosts --set target_tgid=0
"""

from __future__ import annotations

import argparse

from ..errors import PybpfError, VMFault

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any


def is_object(path: str) -> bool:
    """Whether ``path`` is an ELF file (by its magic)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def _value(text: str) -> Any:
    try:
        return int(text, 0)
    except ValueError:
        return text


def _context(obj: Any, name: str, args: argparse.Namespace) -> tuple[bytes | None, Any]:
    """The context bytes (and the memory image behind its pointers) for program ``name``."""
    from ..testing.ctxgen import tracepoint_context

    ps = obj.spec.programs[name]
    fields = dict(f.split("=", 1) for f in args.field or [])
    if args.ctx is not None:
        if fields:
            raise PybpfError("--ctx and --field: give the context as bytes or by fields, not both")
        from .run import hex_option

        return hex_option(args.ctx, "--ctx"), None
    if ps.spec.prog_type == "tracepoint" and ps.spec.target:
        ctx = tracepoint_context(ps.spec.target, {k: _value(v) for k, v in fields.items()})
        return bytes(ctx), ctx.image
    if fields:
        raise PybpfError(f"--field: program {name!r} is a {ps.spec.prog_type} program; fields "
                         "name tracepoint record fields (give --ctx HEX)")
    from ..testing.runner import default_ctx_size

    return (None, None) if args.packet is not None else (bytes(default_ctx_size(ps.spec.prog_type)), None)


def run_object(args: argparse.Namespace) -> int:
    import json  # lazy: start-up (pybpf --help imports every command)

    from ..elf.vmobject import VMObject
    from ..vm import Task
    from ._input import choose_one
    from .run import fail_run, hex_option

    try:
        btf = args.btf
        obj = VMObject(args.file, btf=btf, task=Task.current(), max_insns=args.max_insns)
        wanted = args.program[-1:] if isinstance(args.program, list) else args.program
        name = choose_one(list(obj.spec.programs.values()), wanted, filename=args.file).name
        for item in args.set or []:
            var, _, value = item.partition("=")
            _set_global(obj, var, _value(value))
        ctx, image = _context(obj, name, args)
        if image is not None:
            obj.vm.image.merge(image)
        packet = hex_option(args.packet, "--packet") if args.packet is not None else None
        res = None
        for _ in range(max(args.repeat, 1)):
            res = obj.run(name, ctx=ctx, packet=packet)
        assert res is not None
    except VMFault as exc:
        return fail_run(args, str(exc), fault=exc)
    except PybpfError as exc:
        return fail_run(args, str(exc))
    except OSError as exc:
        return fail_run(args, f"cannot read {args.file}: {exc.strerror}")
    doc = _report(obj, name, res)
    if args.json:
        print(json.dumps(doc))
        return 0
    for line in res.output:
        print(f"trace_printk: {line}")
    print(f"r0 = {res.r0:#x} ({res.r0})")
    if res.packet is not None:
        print(f"packet = {res.packet.hex()}")
    print(f"{res.insns} instructions")
    for mname, entries in doc["maps"].items():
        print(f"map {mname}:")
        for e in entries:
            if "record" in e:
                print(f"  record {e['record']}")
            else:
                print(f"  {e['key']}: {e['value']}")
    for section, values in doc["globals"].items():
        for var, v in values.items():
            print(f"{section} {var} = {v}")
    return 0


def _set_global(obj: Any, var: str, value: Any) -> None:
    for section in obj.spec.maps:
        if section.startswith((".rodata", ".data", ".bss")):
            g = obj.globals(section)
            if var in g:
                g[var] = value
                return
    raise PybpfError(f"--set {var}: no global variable of that name in {obj.spec.path}")


def _report(obj: Any, name: str, res: Any) -> dict[str, Any]:
    from ..vm.maps import PerfEventArrayMap, RingBufMap

    maps: dict[str, list[dict[str, str]]] = {}
    for mname, m in obj.maps.items():
        if isinstance(m, RingBufMap | PerfEventArrayMap):
            recs = m.consume()
            if recs:
                maps[mname] = [{"record": r.hex()} for r in recs]
            continue
        if mname.startswith(".") or getattr(m, "kind", "") in ("prog_array", "array_of_maps",
                                                                "hash_of_maps"):
            continue
        entries = [{"key": k.hex(), "value": v.hex()} for k, v in m.items() if any(v)]
        if entries:
            maps[mname] = entries[:100]
    globs: dict[str, dict[str, Any]] = {}
    for section in obj.spec.maps:
        if section.startswith((".rodata", ".data", ".bss")):
            g = obj.globals(section)
            vals = {}
            for var in g:
                v = g[var]
                vals[var] = v if isinstance(v, int) else bytes(v).hex()
            if vals:
                globs[section] = vals
    doc: dict[str, Any] = {"program": name, "r0": res.r0, "insns": res.insns, "maps": maps,
                           "globals": globs}
    if res.packet is not None:
        doc["packet"] = res.packet.hex()
    if res.output:
        doc["output"] = res.output
    return doc


def add_options(p: argparse.ArgumentParser) -> None:
    """The options `pybpf run` takes for objects."""
    g = p.add_argument_group("clang objects (OBJ.o)")
    g.add_argument("--ctx", metavar="HEX", help="the context r1 points at, as bytes")
    g.add_argument("--field", action="append", metavar="NAME=VALUE",
                   help="a tracepoint record field (strings go into user memory); repeatable")
    g.add_argument("--set", action="append", metavar="VAR=VALUE",
                   help="set a global variable before the run (.rodata, .data, .bss)")
    g.add_argument("--btf", metavar="FILE", help="resolve CO-RE against this BTF (default: the "
                   "running kernel's)")
    g.add_argument("--repeat", type=int, default=1, help="run N times, maps kept between runs")
