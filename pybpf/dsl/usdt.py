"""USDT probes: the ``.note.stapsdt`` notes of an ELF binary (SystemTap's SDT format).

Each note (owner ``stapsdt``, type 3) holds the probe's address, the link-time address of
``.stapsdt.base``, a semaphore address, then ``provider``, ``name`` and the argument
specification, NUL-terminated: ``"-4@%edi 8@%rsi 8@-16(%rbp) 4@$5"`` (size, negative when
signed, ``@`` an operand in AT&T syntax). A uprobe at the note's file offset fires where the
marker is; its arguments are read from the registers (``struct pt_regs``), from memory, or
are constants.

>>> parse_args("-4@%edi 8@-16(%rbp) 2@$3")[1]
UsdtArg(size=8, signed=False, reg='bp', offset=-16, memory=True, const=0)
>>> parse_args("-4@%edi")[0].reg, parse_args("1@%al")[0].reg, parse_args("8@%r12")[0].reg
('di', 'ax', 'r12')
"""

from __future__ import annotations

import re
import struct

from .._record import record
from ..errors import DslError
from .context import UsdtArg

TYPE_CHECKING = False  # (not typing's: a start-up path)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["UsdtNote", "find_probe", "parse_args", "read_notes"]

_REG_ALIASES = {"ax": "ax", "bx": "bx", "cx": "cx", "dx": "dx", "si": "si", "di": "di",
                "bp": "bp", "sp": "sp", "ip": "ip"}
_ARG_RE = re.compile(r"^(?P<neg>-?)(?P<size>\d+)@(?P<op>\S+)$")
_MEM_RE = re.compile(r"^(?P<off>-?(?:0x[0-9a-fA-F]+|\d+))?\(%(?P<reg>\w+)\)$")


@record(frozen=True)
class UsdtNote:
    """One USDT probe of a binary: where it is (file offset) and its arguments."""

    provider: str
    name: str
    address: int
    offset: int
    semaphore: int
    args: tuple[UsdtArg, ...]
    arg_text: str


def _register(text: str) -> str:
    """``%edi``/``%rdi``/``%di``/``%dil`` -> ``di``; ``%r8d``/``%r8`` -> ``r8``; ``%al`` -> ``ax``."""
    name = text.lstrip("%")
    m = re.fullmatch(r"r(\d+)[dwb]?", name)
    if m:
        return f"r{m.group(1)}"
    if name in ("rip", "eip"):
        return "ip"
    if len(name) == 3 and name[0] in "re":
        name = name[1:]
    if name.endswith("l") and len(name) in (2, 3):  # al, dil, sil, bpl
        name = name[:-1] + ("x" if len(name) == 2 else "")
    if name in ("a", "b", "c", "d"):
        name += "x"
    if name not in _REG_ALIASES:
        raise DslError(f"USDT argument register %{text.lstrip('%')} is not an x86-64 register pybpf "
                       "reads")
    return _REG_ALIASES[name]


def parse_args(text: str) -> tuple[UsdtArg, ...]:
    """The argument specification of a note, one `UsdtArg` per argument."""
    out = []
    for tok in text.split():
        m = _ARG_RE.match(tok)
        if not m:
            raise DslError(f"USDT argument {tok!r} is not SIZE@OPERAND")
        size, signed, op = int(m.group("size")), bool(m.group("neg")), m.group("op")
        if size not in (1, 2, 4, 8):
            raise DslError(f"USDT argument {tok!r}: size {size} is not 1, 2, 4 or 8")
        if op.startswith("$"):
            out.append(UsdtArg(size, signed, const=int(op[1:], 0)))
        elif op.startswith("%"):
            out.append(UsdtArg(size, signed, reg=_register(op)))
        else:
            mm = _MEM_RE.match(op)
            if not mm:
                raise DslError(f"USDT argument {tok!r}: operand {op} (indexed memory) is not "
                               "supported")
            out.append(UsdtArg(size, signed, reg=_register(mm.group("reg")),
                               offset=int(mm.group("off") or "0", 0), memory=True))
    return tuple(out)


def read_notes(path: str) -> list[UsdtNote]:
    """Every USDT note of the ELF file ``path`` (an empty list when it has none)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            sec = elf.get_section_by_name(".note.stapsdt")
            if sec is None:
                return []
            data = sec.data()
            base_sec = elf.get_section_by_name(".stapsdt.base")
            actual_base = base_sec["sh_addr"] if base_sec is not None else None
            loads = [(s["p_vaddr"], s["p_memsz"], s["p_offset"]) for s in elf.iter_segments()
                     if s["p_type"] == "PT_LOAD"]
    except (OSError, ELFError) as e:
        raise DslError(f"{path}: cannot read its USDT notes ({e})") from None
    notes = []
    pos = 0
    while pos + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
        pos += 12
        owner = data[pos:pos + namesz].rstrip(b"\0")
        pos += (namesz + 3) & ~3
        desc = data[pos:pos + descsz]
        pos += (descsz + 3) & ~3
        if owner != b"stapsdt" or ntype != 3 or len(desc) < 24:
            continue
        pc, base, sem = struct.unpack_from("<QQQ", desc, 0)
        provider, name, args = (desc[24:].split(b"\0") + [b"", b""])[:3]
        if actual_base is not None:
            pc += actual_base - base
            if sem:
                sem += actual_base - base
        offset = next((pc - va + off for va, size, off in loads if va <= pc < va + size), pc)
        text = args.decode(errors="replace")
        notes.append(UsdtNote(provider.decode(), name.decode(), pc, offset, sem,
                              parse_args(text), text))
    return notes


def find_probe(path: str, spec: str) -> UsdtNote:
    """The note ``provider:name`` (or just ``name`` when unique) of ``path``."""
    provider, _, name = spec.rpartition(":")
    notes = [n for n in read_notes(path) if n.name == name and (not provider or n.provider == provider)]
    if not notes:
        have = sorted({f"{n.provider}:{n.name}" for n in read_notes(path)})
        raise DslError(f"{path} has no USDT probe {spec!r}"
                       + (f" (it has: {', '.join(have[:12])}{' ...' if len(have) > 12 else ''})"
                          if have else " (it has no .note.stapsdt section)"))
    return notes[0]


def attach_usdt(prog: Any, path: str, spec: str) -> Any:
    """Attach ``prog`` (a kprobe-type program) at USDT probe ``spec`` of ``path``: a uprobe at
    the note's file offset; a probe with a semaphore gets the kernel's reference counter
    (``ref_ctr_offset``), so the binary sees the probe enabled while it is attached."""
    import errno
    import os

    from ..kernel.link.base import cstr
    from ..kernel.link.perf import PerfEventAttr, perf_event_open, uprobe_pmu_type
    from ..kernel.link.tracepoint import attach_perf_event_fd

    note = find_probe(path, spec)
    config = 0
    if note.semaphore:
        fmt = "/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset"
        try:
            with open(fmt) as f:
                shift = int(f.read().strip().partition(":")[2].split("-")[0])
        except (OSError, ValueError):
            raise DslError(f"usdt {spec}: the probe has a semaphore and this kernel's uprobes "
                           f"take no reference counter ({fmt} missing)") from None
        config = _file_offset(path, note.semaphore) << shift
    keep, path_ptr = cstr(os.path.realpath(path))
    attr = PerfEventAttr(type=uprobe_pmu_type(), config=config, config1=path_ptr,
                         config2=note.offset)
    target = f"{path}:{note.provider}:{note.name}"
    pfd = perf_event_open(attr, pid=-1, cpu=0, what=f"usdt {target}")
    del keep
    return attach_perf_event_fd(prog, pfd, kind="usdt", target=target, hints={
        errno.EINVAL: "the program must be of type kprobe (which serves uprobes and USDT)"})


def _file_offset(path: str, vaddr: int) -> int:
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as f:
        for s in ELFFile(f).iter_segments():
            if s["p_type"] == "PT_LOAD" and s["p_vaddr"] <= vaddr < s["p_vaddr"] + s["p_memsz"]:
                return vaddr - s["p_vaddr"] + s["p_offset"]
    raise DslError(f"{path}: USDT semaphore at {vaddr:#x} is in no loadable segment")
