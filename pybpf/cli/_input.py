"""What FILE holds, told by its content, and the programs in it: one reader for every verb.

``asm``, ``disasm``, ``run``, ``verify``, ``load`` and ``probe`` all read FILE here, so
each takes every kind of input the others take:

======  ==================================================================================
kind    recognised by
======  ==================================================================================
elf     the ELF magic ``\\x7fELF`` (a clang ``-target bpf`` object)
dsl     Python source: a line that starts with ``import``, ``from X import``, ``def``,
        ``class`` or a decorator (pybpf DSL probes, ``@probe(...)``), or a ``.py`` file
        that parses as Python
vector  a bpf_conformance ``.data`` file (a ``-- asm`` line)
hex     text whose words are mostly hex bytes (``b7 00 ...``, ``0xb7,``, ``pybpf asm
        --format c``'s array)
asm     any other text: the LLVM syntax, or the gas syntax when it names ``%rN`` registers
raw     bytes that are not text (not UTF-8, or with NUL or control bytes): bytecode
======  ==================================================================================

Every kind becomes an `ObjectSpec` (programs with their section, type and maps), the
description `pybpf.elf.loader.BpfObject` verifies, loads and attaches; a text program's
type comes from ``--type`` or its ``.section`` line.

>>> detect(b"r0 = 1\\nexit\\n"), detect(b"b7 00 00 00 01 00 00 00\\n"), detect(b"\\xb7\\0")
('asm', 'hex', 'raw')
>>> detect(b"from pybpf.dsl import probe\\n"), detect(b"\\x7fELF\\2\\1")
('dsl', 'elf')
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys

from .. import errors  # errors.InputError: defined at its first use (pybpf._errors_more)
from ..errors import DslError, IsaError, PybpfError

TYPE_CHECKING = False  # (not typing's: start-up, pybpf --help imports every command)
if TYPE_CHECKING:
    from typing import Any

TYPE_CHECKING = False  # (not typing's: every verb's start-up reads this module)
if TYPE_CHECKING:
    import argparse
    import types
    from collections.abc import Iterator

    from ..elf.object import ObjectProgramSpec, ObjectSpec
    from ..isa.program import ProgramSpec

KINDS = ("elf", "dsl", "vector", "hex", "asm", "raw")
_ELF_MAGIC = b"\x7fELF"
# (_PYTHON and _VECTOR are patterns, compiled by re at their first search: a short assembly
# file needs neither, and compiling costs a verb's start-up as much as ~50 lines run)
_PYTHON = rb"^(?:import\s+\w|from\s+[\w.]+\s+import\b|def\s+\w+\s*\(|class\s+\w|@\w)"
_VECTOR = rb"^-- asm\s*$"
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0e, 0x20), 0x7f])  # control bytes: raw
_PYTHON_WORDS = (b"import", b"def", b"class", b"@")  # one of which every _PYTHON match holds
# (patterns too: `_first_word` and `_hex_word` tell a short assembly file without them)
_COMMENT = r"(#|//)[^\n]*"
_HEX_WORD = r"0[xX][0-9a-fA-F]*|[0-9a-fA-F]+"
_WORD = r"[^\s,]+"
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_DESCRIBE = {"elf": "an ELF object", "dsl": "a Python file (pybpf DSL)", "vector":
             "a bpf_conformance vector", "hex": "hex text", "asm": "assembly text",
             "raw": "raw bytecode"}


def describe(kind: str) -> str:
    """A kind of input in words: ``describe("raw") == "raw bytecode"``."""
    return _DESCRIBE.get(kind, kind)


def detect(data: bytes, name: str = "") -> str:
    """The kind of input ``data`` is (see the module's table). A file ``name`` ending in
    ``.py`` whose content is valid Python is Python even without an import or a ``def``."""
    if data.startswith(_ELF_MAGIC):
        return "elf"
    # (a megabyte of assembly: each regex below is only run when a plain search for the
    # bytes it needs finds them, which costs a tenth of the regex)
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        return "raw"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "raw"
    if (any(word in data for word in _PYTHON_WORDS) and re.search(_PYTHON, data, re.M)) or \
            (name.endswith(".py") and _parses_as_python(text)):
        return "dsl"
    if b"-- asm" in data and re.search(_VECTOR, data, re.M):
        return "vector"
    if _looks_hex(text):
        return "hex"
    return "asm"


def _parses_as_python(text: str) -> bool:
    import ast

    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return True


def _c_body(text: str) -> str:
    """The inside of a C array initializer (``pybpf asm --format c``) with everything else
    and its comments blanked out, so that every line and column stays where it was; other
    text unchanged."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return text

    def blank(part: str) -> str:
        return re.sub(r"[^\n]", " ", part)

    inside = re.sub(r"/\*.*?\*/", lambda m: blank(m.group(0)), text[start + 1:end], flags=re.S)
    return blank(text[:start + 1]) + inside + blank(text[end:])


def _first_word(text: str) -> str | None:
    """The first word of ``text`` without its comments (``_WORD`` in ``_COMMENT``'s
    substitution), found without the regexes.

    >>> _first_word("  # r0 = 1\\n , b7 00 // x")
    'b7'
    """
    for line in text.split("\n"):
        ends = [i for i in (line.find("#"), line.find("//")) if i >= 0]
        words = (line[:min(ends)] if ends else line).replace(",", " ").split()
        if words:
            return words[0]
    return None


def _hex_word(word: str) -> bool:
    """Whether ``_HEX_WORD`` matches all of ``word``, told without the regex."""
    if word[:2] in ("0x", "0X"):
        return all(c in _HEX_DIGITS for c in word[2:])
    return word != "" and all(c in _HEX_DIGITS for c in word)


def _looks_hex(text: str) -> bool:
    """True when the words of ``text`` (comments out) are hex numbers, or when the first
    is a hex byte (which no assembly statement starts with) and half the words are: then a
    bad digit is reported at its place, not taken for assembly."""
    body = _c_body(text)
    # the first word alone tells most texts: one that is no hex number fails both tests
    # below (read from the first lines, not the first 64 KiB: assembly is 50 times faster;
    # and a short file of assembly is told without compiling the regexes)
    cut = body.find("\n", 4096)
    if cut > 0 or len(body) <= 65536:  # (a longer line: its first word may be cut below)
        first = _first_word(body[:cut] if cut > 0 else body)
        if first is not None and not _hex_word(first):
            return False
    comment, hex_word = re.compile(_COMMENT), re.compile(_HEX_WORD)
    cut = body.find("\n", 1 << 17)  # (comments end at a newline: the start strips the same)
    if cut > 0:
        head = comment.sub("", body[:cut])
        body = head if len(head) >= 65536 else comment.sub("", body)
    else:
        body = comment.sub("", body)
    words = re.findall(_WORD, body[:65536])
    if not words:
        return False
    hexy = sum(1 for w in words if hex_word.fullmatch(w))
    if hexy == len(words):
        return True
    first = words[0][2:] if words[0][:2].lower() == "0x" else words[0]
    return bool(re.fullmatch(r"[0-9a-fA-F]{2}", first)) and 2 * hexy >= len(words)


def parse_hex(text: str, name: str) -> bytes:
    """Hex text -> bytes: pairs of hex digits, optional ``0x`` prefixes, commas, ``#``/``//``
    comments, or the C array of ``pybpf asm --format c``. A word that is not hex is an
    `InputError` at its line and column.

    >>> parse_hex("b7 00 00 00 2a 00 00 00  # r0 = 42\\n0x95,0x00", "x.hex").hex()
    'b70000002a0000009500'
    >>> parse_hex("b7 0g", "x.hex")
    Traceback (most recent call last):
    ...
    pybpf.errors.InputError: x.hex:1:5: 'g' is not a hex digit (in '0g'): hex text is bytes of two digits each
    """
    out = bytearray()
    comment, word_re = re.compile(_COMMENT), re.compile(_WORD)
    for lineno, line in enumerate(_c_body(text).splitlines(), 1):
        m = comment.search(line)
        if m is not None:
            line = line[:m.start()]
        for w in word_re.finditer(line):
            word = w.group(0)
            digits = word[2:] if word[:2].lower() == "0x" else word
            bad = next((i for i, c in enumerate(digits) if c not in "0123456789abcdefABCDEF"), None)
            if bad is not None:
                col = w.start() + len(word) - len(digits) + bad + 1
                raise errors.InputError(f"{digits[bad]!r} is not a hex digit (in {_short(word)}): hex "
                                 "text is bytes of two digits each", filename=name,
                                 line=lineno, column=col)
            if not digits or len(digits) % 2:
                why = "no digits after 0x" if not digits else \
                    "an odd number of hex digits: bytes are two digits each"
                raise errors.InputError(f"{_short(word)}: {why}", filename=name, line=lineno,
                                 column=w.start() + 1)
            out += bytes.fromhex(digits)
    return bytes(out)


def _short(word: str) -> str:
    return repr(word if len(word) <= 24 else word[:24] + "...")


def decode_bytecode(code: bytes, name: str) -> ProgramSpec:
    """Raw little-endian bytecode as a `ProgramSpec`; a length that is not whole slots or an
    lddw cut short is an `InputError` naming the byte and slot."""
    from ..isa.program import ProgramSpec

    if not code:
        raise errors.InputError("no instructions (the bytecode is empty)", filename=name)
    if len(code) % 8:
        whole = len(code) - len(code) % 8
        raise errors.InputError(f"{len(code)} bytes is not a whole number of 8-byte instruction "
                         f"slots: {len(code) % 8} bytes are left after the last whole slot",
                         filename=name, offset=whole, slot=whole // 8)
    try:
        return ProgramSpec.from_bytes(code, name=_stem(name))
    except IsaError as exc:
        slot = exc.index if exc.index is not None else 0
        raise errors.InputError(exc.message, filename=name, offset=slot * 8, slot=slot) from None


def _stem(name: str) -> str:
    if name == "<stdin>":
        return "prog"
    # Path(name).stem's part before its first dot (not pathlib: start-up time)
    return os.path.basename(name.rstrip("/")).split(".")[0] or "prog"


class Input:
    """FILE read and told apart: its ``kind``, its bytes, and (`programs`) what is in it.

    (A plain class, not a dataclass: the dataclasses module imports inspect, ast and dis,
    which is start-up time of every verb.)
    """

    path: str
    name: str
    kind: str
    data: bytes
    syntax: str
    #: the object every kind becomes (built on first use: disassembling bytes needs none)
    _spec: ObjectSpec | None
    #: a bpf_conformance vector's ``-- mem`` section, the VM's default memory
    mem: bytes | None
    module: types.ModuleType | None
    probes: list[Any]
    prog_type: str | None
    attach: str | None
    dsl_precheck: bool

    def __init__(self, path: str, name: str, kind: str, data: bytes, syntax: str = "auto",
                 _spec: ObjectSpec | None = None, mem: bytes | None = None,
                 module: types.ModuleType | None = None, probes: list[Any] | None = None,
                 prog_type: str | None = None, attach: str | None = None,
                 dsl_precheck: bool = False) -> None:
        self.path, self.name, self.kind, self.data, self.syntax = path, name, kind, data, syntax
        self._spec, self.mem, self.module = _spec, mem, module
        self.probes = [] if probes is None else probes
        self.prog_type, self.attach, self.dsl_precheck = prog_type, attach, dsl_precheck

    def __repr__(self) -> str:
        return f"Input(path={self.path!r}, kind={self.kind!r}, {len(self.data)} bytes)"

    @property
    def code(self) -> bytes | None:
        """The bytecode of a ``raw`` or ``hex`` input (what a listing reads), else None."""
        if self.kind == "raw":
            return self.data
        if self.kind == "hex":
            return parse_hex(self.data.decode("utf-8"), self.name)
        return None

    @property
    def spec(self) -> ObjectSpec:
        if self._spec is None:
            self._spec = self._object_spec()
        return self._spec

    @property
    def stem(self) -> str:
        """The file's name without directory and suffix (``prog`` for stdin)."""
        return _stem(self.name)

    def least_slots(self) -> int | None:
        """How many instruction slots the program has at least, found without assembling or
        decoding it (raw bytecode, hex, assembly text), else None: what lets a program too
        large for the kernel be refused at once."""
        if self.kind in ("raw", "hex"):
            code = self.code or b""
            return len(code) // 8
        if self.kind == "asm":
            text = self.data.decode("utf-8", "replace")
            # every line holding an instruction holds one at least: lines with text that are
            # neither comments, directives nor lone labels
            return sum(1 for line in text.splitlines()
                       if (s := line.strip()) and s[0] not in "#;." and not s.startswith("//")
                       and not (s.endswith(":") and " " not in s))
        return None

    # -- each kind as an ObjectSpec ---------------------------------------------------
    def _object_spec(self) -> ObjectSpec:
        from ..elf.object import read_object

        if self.kind == "elf":
            return read_object(self.data, name=self.name)
        if self.kind == "dsl":
            return self._dsl_spec()
        program = self._program()
        program.name = program.name or _stem(self.name)
        return _wrap(self, [program])

    def _program(self) -> ProgramSpec:
        if self.kind in ("raw", "hex"):
            return decode_bytecode(self.code or b"", self.name)
        text = self.data.decode("utf-8")
        if self.kind == "vector":
            from ..conformance import parse_vector

            if self.syntax == "llvm":
                raise errors.InputError("a bpf_conformance vector is in the gas syntax, not llvm",
                                 filename=self.name)
            vector = parse_vector(text, name=_stem(self.name), path=self.name)
            self.mem = vector.mem or None
            return vector.program()
        if not text.strip():
            raise errors.InputError("the file is empty: no instructions", filename=self.name)
        from ..asm import assemble

        syntax = self.syntax
        if syntax == "auto":
            # (a plain search first: the regex alone reads a megabyte of assembly in 5 ms)
            syntax = "gas" if "%r" in text and re.search(r"%r\d", text) else "llvm"
        return assemble(text, syntax=syntax, filename=self.name)

    def _dsl_spec(self) -> ObjectSpec:
        from ..dsl import module_probes

        if self.path == "-":
            raise errors.InputError("a Python probe file must be read from a file, not stdin",
                             filename=self.name)
        self.module = load_python(self.path)
        self.probes = module_probes(self.module)
        if not self.probes:
            raise errors.InputError("a Python file without @probe functions (pybpf.dsl)",
                             filename=self.name)
        programs = []
        for p in self.probes:
            prog = p.compile(verify=None if self.dsl_precheck else False)
            prog.name = prog.name or p.name
            programs.append(prog)
        return _wrap(self, programs)

    # -- choosing programs ------------------------------------------------------------
    def programs(self, wanted: list[str] | None = None) -> list[ObjectProgramSpec]:
        """The programs named in ``wanted`` (by name or section), or all of them."""
        return choose_programs(list(self.spec.programs.values()), wanted, filename=self.name)

    def one(self, wanted: list[str] | str | None = None) -> ObjectProgramSpec:
        """The one program ``wanted`` names, or the only one; an `InputError` listing the
        programs when the choice is not clear."""
        return choose_one(list(self.spec.programs.values()), wanted, filename=self.name,
                          what=describe(self.kind))


    def one_program(self, wanted: list[str] | str | None = None) -> ProgramSpec:
        """The `ProgramSpec` of `one`: a text or bytecode program without a section (nothing
        ``wanted``, no ``--type``) is returned as read, without the `ObjectSpec` around it
        (building that imports the ELF layer: start-up time of ``pybpf asm``)."""
        if self._spec is None and not wanted and not self.prog_type and \
                self.kind in ("asm", "vector", "hex", "raw"):
            program = self._program()
            program.name = program.name or _stem(self.name)
            if not getattr(program, "section", None):
                return program
            self._spec = _wrap(self, [program])
        return self.one(wanted).program


def choose_programs(progs: list[ObjectProgramSpec], wanted: list[str] | None, *,
                    filename: str) -> list[ObjectProgramSpec]:
    """The programs of ``progs`` named in ``wanted`` (by name or section), or all of them; an
    `InputError` naming ``filename`` and listing the programs for a name none has."""
    if not wanted:
        return progs
    chosen = [p for p in progs if p.name in wanted or p.section in wanted]
    unknown = [w for w in wanted if not any(w in (p.name, p.section) for p in progs)]
    if unknown:
        raise errors.InputError(f"no program {', '.join(map(repr, unknown))} (programs: "
                         f"{_names(progs)})", filename=filename)
    return chosen


def choose_one(progs: list[ObjectProgramSpec], wanted: list[str] | str | None, *,
               filename: str, what: str = "the input") -> ObjectProgramSpec:
    """The one program of ``progs`` that ``wanted`` names (the last ``--program``), or the
    only one; an `InputError` listing the programs when the choice is not clear (every verb
    lists them alike)."""
    if isinstance(wanted, str):
        wanted = [wanted]
    chosen = choose_programs(progs, wanted, filename=filename)
    if not chosen:
        raise errors.InputError(f"no programs in {what}", filename=filename)
    if len(chosen) != 1:
        raise errors.InputError(f"{len(chosen)} programs: choose one with --program NAME "
                         f"({_names(chosen)})", filename=filename)
    return chosen[0]


def _names(progs: list[ObjectProgramSpec]) -> str:
    return ", ".join(f"{p.name} ({p.section})" if p.section != p.name else p.name
                     for p in progs) or "none"


def _wrap(inp: Input, programs: list[ProgramSpec]) -> ObjectSpec:
    """Programs of a text, bytecode or DSL input as an `ObjectSpec`: each one's type comes
    from ``--type`` or its section name (``.section`` line, ``@probe(...)``)."""
    from ..elf.object import ObjectProgramSpec, ObjectSpec
    from ..elf.sections import SectionSpec, parse_section

    out: dict[str, ObjectProgramSpec] = {}
    maps: dict[str, Any] = {}
    license = ""
    for prog in programs:
        section = getattr(prog, "section", None)
        if inp.prog_type:
            spec = SectionSpec(section=section or inp.prog_type, prog_type=inp.prog_type,
                               expected_attach_type=inp.attach, attach=None, target=None,
                               sleepable=False, attach_btf=False)
            if section:  # keep what the section says about attaching
                try:
                    sec = parse_section(section, path=inp.name)
                    if sec.prog_type == inp.prog_type:
                        spec = sec
                except PybpfError:
                    pass
        elif section:
            spec = parse_section(section, path=inp.name)
            if inp.attach:
                spec = SectionSpec(spec.section, spec.prog_type, inp.attach, spec.attach,
                                   spec.target, spec.sleepable, spec.attach_btf)
        elif prog.prog_type:
            spec = SectionSpec(section=prog.prog_type, prog_type=prog.prog_type,
                               expected_attach_type=inp.attach, attach=None, target=None,
                               sleepable=False, attach_btf=False)
        else:
            spec = SectionSpec(section="", prog_type="", expected_attach_type=inp.attach,
                               attach=None, target=None, sleepable=False, attach_btf=False)
        name = prog.name or _stem(inp.name)
        out[name] = ObjectProgramSpec(name=name, section=spec.section or name, spec=spec,
                                      program=prog)
        maps.update(prog.maps)
        license = license or prog.license or ""
    return ObjectSpec(path=inp.name, name=_stem(inp.name), programs=out, maps=maps,
                      license=license or "GPL", kern_version=0)


def need_type(inp: Input, progs: list[ObjectProgramSpec]) -> None:
    """An `InputError` when a program's type is unknown (text or bytecode without
    ``--type`` or a ``.section`` line)."""
    for p in progs:
        if not p.spec.prog_type:
            raise errors.InputError(f"the program type of {describe(inp.kind)} is not known: give "
                             "--type (e.g. --type socket_filter) or a '.section NAME' line",
                             filename=inp.name)


def load_python(path: str) -> types.ModuleType:
    """Run a Python probe file as a module; a syntax error or an exception while it runs is
    a `DslError` at the file's line (never a traceback)."""
    import importlib.machinery
    import importlib.util
    import traceback

    name = "pybpf_probe_" + re.sub(r"\W", "_", path)
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    if spec is None:
        raise DslError(f"cannot import {path}", filename=path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        loader.exec_module(mod)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise DslError(f"not valid Python: {exc.msg}", filename=path, line=exc.lineno,
                       column=exc.offset, source=exc.text) from None
    except (PybpfError, KeyboardInterrupt):
        sys.modules.pop(name, None)
        raise
    except BaseException as exc:  # the file's own code failed (SystemExit included)
        sys.modules.pop(name, None)
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
        line = frames[-1].lineno if frames else None
        raise DslError(f"cannot import the probe file: {type(exc).__name__}: {exc}", filename=path,
                       line=line, source=frames[-1].line if frames else None) from None
    return mod


def read_input(path: str, *, kind: str = "auto", syntax: str = "auto",
               prog_type: str | None = None, attach: str | None = None,
               dsl_precheck: bool = False, accept: tuple[str, ...] = KINDS) -> Input:
    """Read FILE (``-``: stdin) and tell its kind (``kind="auto"``) or take the one given.

    ``accept``: the kinds the verb can use; another is an `InputError` that says what the
    file is. Programs are read on first use of `Input.spec` / `Input.programs`.
    """
    if path == "-":
        data, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        name = path
        try:
            with open(path, "rb") as f:
                data = f.read()
        except IsADirectoryError:
            raise errors.InputError("is a directory, not a file", filename=path) from None
        except OSError as exc:
            raise errors.InputError(f"cannot read: {exc.strerror or exc}", filename=path) from None
    if not data:
        raise errors.InputError("the file is empty", filename=name)
    found = detect(data, name) if kind == "auto" else kind
    if found not in KINDS:
        raise errors.InputError(f"unknown input kind {kind!r}: expected one of {', '.join(KINDS)}",
                         filename=name)
    if found not in accept:
        raise errors.InputError(f"this is {describe(found)}; this command takes "
                         f"{', '.join(describe(k) for k in accept)}", filename=name)
    return Input(path=path, name=name, kind=found, data=data, syntax=syntax,
                 prog_type=prog_type, attach=attach, dsl_precheck=dsl_precheck)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a block that builds many acyclic objects (a
    100k-line program), and back on after it, so that `pybpf.cli.main` called in-process
    leaves the process as it found it."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            # the block's objects moved out of the young generation first: enabling would
            # otherwise start a collection that walks them all (30 ms after 100k lines of
            # assembly), and they are acyclic; they join the oldest generation
            if not gc.get_freeze_count():
                gc.freeze()
                gc.enable()
                gc.unfreeze()
            else:
                gc.enable()


def add_input_options(p: argparse.ArgumentParser, *, syntax: bool = True,
                      types: bool = False) -> None:
    """The options every verb that reads programs shares: ``--input``, ``--program`` and
    (``syntax``) the assembly ``--syntax``, (``types``) ``--type`` and ``--attach``."""
    p.add_argument("--input", choices=("auto",) + KINDS, default="auto",
                   help="what FILE is (default: told by its content): elf, dsl (a Python "
                   "probe file), vector (bpf_conformance .data), hex, asm or raw bytecode")
    p.add_argument("--program", action="append", metavar="NAME",
                   help="the program of FILE with this name or section (objects and probe "
                   "files hold several); may be repeated where a command takes several")
    if syntax:
        p.add_argument("--syntax", choices=("auto", "llvm", "gas"), default="auto",
                       help="assembly syntax (default: gas for text using %%rN registers, "
                       "else llvm)")
    if types:
        p.add_argument("--type", dest="prog_type", help="program type (socket_filter, xdp, "
                       "sched_cls, tracepoint, ...); by default the section name decides "
                       "(SEC(), .section, @probe)")
        p.add_argument("--attach", help="expected attach type (e.g. cgroup_inet_egress)")
