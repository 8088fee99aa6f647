"""What the verifier must know about one kernel that the ISA does not say, as data.

A `KernelProfile` holds the facts of one kernel build that decide verdicts and wording:

- helper availability: which program types may call each helper, which helpers are GPL-only;
- instruction forms the kernel does not know (``sdiv``, ``movsx``, ``bswap``, ``gotol``,
  ``may_goto``, ``load_acquire``...: `insn_form` names them) and the message it refuses each
  with;
- map types it can create, and features (bounded loops, ``bpf_loop``, ``may_goto``...);
- rewordings: how its verifier words a message that the newest kernel words differently
  (``invalid indirect access to stack`` for ``invalid read from stack R2 off=...``), as
  regular expressions applied to pybpf's message;
- its release and the hash of its BTF.

Every fact is measured: the probes of `pybpf.verifier.profile_probes` are loaded into the
kernel (natively by ``pybpf.kernel.features``, or inside a QEMU guest by the vmtest harness
``tools/vmtest``) and their outcomes become the profile. These are facts of a kernel
*build*, not of a version: two 6.18 kernels with different configurations differ (one
machine of this project's kind refuses ``bpf_xdp_adjust_meta`` in XDP programs).

Profiles that ship with pybpf (``pybpf/verifier/profiles/*.json``): Debian's 6.1 and 6.12
cloud kernels and this project's 6.18; `profile` picks one by name or path.

- `SHIPPED`: the helper table generated on the project's reference kernel
  (``pybpf/verifier/generated/helper_availability.py``, by ``gen_helper_availability.py`` beside it);
- the running kernel's own profile, measured by probes that ``pybpf.kernel.features``
  loads (``running_kernel_profile()``) and kept in a cache file per kernel build, which
  `default` reads without touching the kernel itself.

`default` is the profile the verifier uses when it is given none: the running kernel's when
its cache file exists, else `SHIPPED`.

>>> SHIPPED.allows(1, "xdp")            # bpf_map_lookup_elem
True
>>> SHIPPED.allows(44, "socket_filter")  # bpf_xdp_adjust_head
False
>>> k61 = profile("6.1")
>>> from pybpf.asm import assemble
>>> insn = assemble("w0 s/= 3").insns[0]
>>> insn_form(insn), k61.refuses_insn(insn)
('sdiv32', InsnRefusal(named=True, message='BPF_ALU uses reserved fields'))
>>> k61.reword("program of this type cannot use helper bpf_redirect#23")
'unknown func bpf_redirect#23'
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from ..isa.insn import Insn
from ..isa.opcodes import AluOp, AtomicOp, Class, JmpOp, Mode
from .generated import helper_availability as _shipped


def insn_form(insn: Insn) -> str | None:
    """The name of the instruction form ``insn`` belongs to, when kernels differ on it
    (None for forms every supported kernel knows).

    >>> from pybpf.asm import assemble
    >>> [insn_form(i) for i in assemble("r1 = (s16)r2\\nr0 = bswap64 r0\\nr0 += 1").insns]
    ['movsx16_64', 'bswap64', None]
    """
    cls = insn.cls
    if cls in (Class.ALU, Class.ALU64):
        width = "64" if cls == Class.ALU64 else "32"
        alu = insn.op
        if alu in (AluOp.DIV, AluOp.MOD) and insn.off == 1:
            return ("sdiv" if alu == AluOp.DIV else "smod") + width
        if alu == AluOp.MOV and insn.uses_src_reg and insn.off in (8, 16, 32):
            return f"movsx{insn.off}_{width}"
        if alu == AluOp.END and cls == Class.ALU64:
            return f"bswap{insn.imm}"
        return None
    if cls == Class.LDX and insn.mode == Mode.MEMSX:
        return f"ldsx{insn.size * 8}"
    if cls == Class.JMP32 and insn.op == JmpOp.JA:
        return "gotol"
    if cls == Class.JMP and insn.op == JmpOp.JCOND:
        return "may_goto"
    if cls == Class.STX and insn.mode == Mode.ATOMIC:
        if insn.imm == AtomicOp.LOAD_ACQ:
            return "load_acquire"
        if insn.imm == AtomicOp.STORE_REL:
            return "store_release"
    return None


#: instruction form -> what it is, in words (for explanations of a refusal)
FORM_TEXT: dict[str, str] = {
    **{f"sdiv{w}": f"signed {w}-bit division (s/=, cpu v4)" for w in (32, 64)},
    **{f"smod{w}": f"signed {w}-bit modulo (s%=, cpu v4)" for w in (32, 64)},
    **{f"movsx{b}_{w}": f"the sign-extending {b}-bit move into a {w}-bit register ((s{b}), cpu v4)"
       for b, w in ((8, 32), (16, 32), (8, 64), (16, 64), (32, 64))},
    **{f"ldsx{b}": f"the sign-extending {b}-bit load (*(s{b} *), cpu v4)" for b in (8, 16, 32)},
    **{f"bswap{b}": f"the unconditional byte swap bswap{b} (cpu v4)" for b in (16, 32, 64)},
    "gotol": "the 32-bit-offset jump gotol (cpu v4)",
    "may_goto": "may_goto (loops bounded at run time)",
    "load_acquire": "load_acquire (atomic load with acquire semantics)",
    "store_release": "store_release (atomic store with release semantics)",
}

#: feature -> (what a kernel with it does, what a kernel without it does), in words
FEATURE_TEXT: dict[str, tuple[str, str]] = {
    "array_lookup_const_key_nonnull": (
        "an array lookup with a constant in-range key cannot return NULL",
        "treats an array lookup with a constant key as possibly NULL"),
    "reg_reg_refinement": (
        "a comparison of two unknown registers narrows both",
        "narrows registers only when compared with a constant"),
    "map_ptr_read_refused": (
        "checks reads through a map pointer against the fields of struct bpf_map",
        "lets a program read through a map pointer at any offset of the map's struct"),
    "bounded_loops": ("accepts loops it can prove bounded", "refuses every back-edge"),
    "byte_swap_bounds": ("keeps the bounds of a number through a byte swap (be16, le64, bswap)",
                         "makes a byte-swapped number unknown"),
    "neg_bounds": ("keeps the bounds of a negated number", "makes a negated number unknown"),
    "alu_safe_range": ("bounds an operation with an unknown operand (or, mul, xor, shifts)",
                       "makes an operation with an unknown operand other than add, sub and and unknown"),
    "global_funcs_lazy": ("verifies a global function where the program first calls it",
                          "verifies every global function before the program"),
    "global_func_arg_tags": ("reads the arg: tags of a global function's arguments (__arg_ctx, __arg_nonnull...)",
                             "ignores the arg: tags of a global function's arguments"),
    "helper_read_keeps_spill": (
        "keeps a spilled register that a helper reads (a map key on the stack) as it was",
        "forgets a spilled register that a helper reads (the map key's bounds, a pointer kept "
        "on the stack, become an unknown number)"),
    "btf_ctx_modified_void_ptr": (
        "reads a `const void *` argument of a BTF-typed program as a number",
        "refuses to read a `const void *` argument of a BTF-typed program"),
    "global_func_null_arg_refused": (
        "refuses a NULL passed for an __arg_nonnull argument",
        "accepts a NULL passed for an __arg_nonnull argument"),
    "movsx_subreg_range": (
        "keeps a 64-bit (s8)/(s16) move's range when the low 32 bits are in the narrow type's range",
        "gives a 64-bit (s8)/(s16) move of a number with unknown upper bits the narrow type's whole range"),
    "linked_reg_add_const32": (
        "keeps a 32-bit copy plus a constant linked to its source (a bound on one bounds the other)",
        "forgets the link when a constant is added to a 32-bit copy"),
}


@dataclass(frozen=True)
class InsnRefusal:
    """How a kernel refuses an instruction form it does not know: the message, and whether
    it names the instruction (``BPF_ALU uses reserved fields``, found while walking the
    program) or not (``unknown opcode d7``, found before)."""

    named: bool
    message: str


_CONV = re.compile(r"\{(\d+(?:,\d+)*)(?:\|(\w+))?\}")
_U64 = (1 << 64) - 1


def _tnum_const(v: int) -> str:
    return f"(0x{v & _U64:x}; 0x0)"


def _tnum_range(lo: int, hi: int) -> str:
    """The kernel's tnum_range(lo, hi), printed as ``(value; mask)``."""
    lo &= _U64
    hi &= _U64
    chi = lo ^ hi
    bits = chi.bit_length()
    if bits > 63:
        return f"(0x0; 0x{_U64:x})"
    delta = (1 << bits) - 1
    return f"(0x{lo & ~delta & _U64:x}; 0x{delta:x})"


#: converters a rewording's template may apply to captured groups
_CONVERTERS = {"tnum": lambda a: _tnum_const(int(a[0])),
               "tnumrange": lambda a: _tnum_range(int(a[0]), int(a[1])),
               "inc": lambda a: str(int(a[0]) + 1)}


@dataclass(frozen=True)
class Rewording:
    """One difference of wording: where pybpf's message (the newest kernel's wording) matches
    ``pattern`` (a regular expression searched in the message's lines joined by newlines),
    this kernel prints ``template`` instead; ``{N}`` is group N, ``{N|tnum}`` prints the
    decimal group N as a constant tnum, ``{N,M|tnumrange}`` the tnum of the range [N, M],
    ``{N|inc}`` the decimal group N plus one (an argument numbered from 1).

    >>> Rewording(r"smin=(-?\\d+) smax=\\1 should have been in \\[(\\d+), (\\d+)\\]",
    ...           "value {1|tnum} should have been in {2,3|tnumrange}").apply(
    ...           "R0 has smin=4 smax=4 should have been in [0, 3]")
    'R0 has value (0x4; 0x0) should have been in (0x0; 0x3)'
    """

    pattern: str
    template: str
    #: when set, the rewording applies only where the rejected instruction's text matches this
    #: expression (``^call `` : a helper's argument, not the program's own access)
    insn: str = ""

    def apply(self, message: str, insn_text: str | None = None) -> str:
        if self.insn and not re.search(self.insn, insn_text or ""):
            return message
        return re.sub(self.pattern, self._fill, message)

    def to_json(self) -> list:
        return [self.pattern, self.template] + ([self.insn] if self.insn else [])

    @classmethod
    def from_json(cls, doc: Iterable) -> Rewording:
        """``[pattern, template]`` or ``[pattern, template, insn]``."""
        d = [str(x) for x in doc]
        return cls(d[0], d[1], d[2] if len(d) > 2 else "")

    def _fill(self, m: re.Match[str]) -> str:
        def conv(c: re.Match[str]) -> str:
            args = [m.group(int(g)) or "" for g in c.group(1).split(",")]
            return _CONVERTERS[c.group(2)](args) if c.group(2) else args[0]

        return _CONV.sub(conv, self.template)


@dataclass(frozen=True)
class KernelProfile:
    """The facts of one kernel build the verifier reads (see the module's docstring)."""

    name: str
    #: helper id -> program types whose verifier accepts a call to it
    available_in: Mapping[int, frozenset[str]]
    gpl_only: frozenset[int]
    #: program types whose availability was measured (others are not judged)
    probed_prog_types: frozenset[str]
    #: ``uname -r`` of the kernel the profile was measured on ("" when not recorded)
    release: str = ""
    #: instruction form (`insn_form`) -> how the kernel refuses it (None: it accepts it);
    #: forms not listed are accepted
    insn_forms: Mapping[str, InsnRefusal | None] = field(default_factory=dict)
    #: map types the kernel can create (None: not measured)
    map_types: frozenset[str] | None = None
    #: feature name -> whether the kernel has it (the probes of ``profile_probes.FEATURE_PROBES``
    #: and its siblings)
    features: Mapping[str, bool] = field(default_factory=dict)
    #: features whose probes gave no answer on this kernel: `has_feature` judges them as the
    #: newest kernels do (its ``default``), and `pybpf.verifier.fleet` says they were not measured
    unknown_features: frozenset[str] = frozenset()
    #: wording differences, applied in order to pybpf's messages
    rewordings: tuple[Rewording, ...] = ()
    #: ``{"sha256": ..., "size": ...}`` of the kernel's /sys/kernel/btf/vmlinux
    btf: Mapping[str, object] = field(default_factory=dict)
    #: the kernel's nr_cpu_ids (possible CPUs): bpf_get_smp_processor_id() is below it
    nr_cpu_ids: int = 64
    #: kfunc name -> program types whose verifier lets them call it (the kernel's kfunc id
    #: sets); ``kfunc_probed`` are the program types measured (others are not judged)
    kfuncs: Mapping[str, frozenset[str]] = field(default_factory=dict)
    kfunc_probed: frozenset[str] = frozenset()
    #: program kinds the kernel refuses to load before verifying them, and the errno:
    #: ``"tracing/trace_fentry"``, ``"lsm/lsm_mac"``, ``"tracing/trace_iter/<target>"`` -> "EPERM"
    load_refusals: Mapping[str, str] = field(default_factory=dict)
    #: the running kernel's profile measures kfunc availability when first asked
    #: (`pybpf.kernel.features.kfunc_allowed_here`): (name, prog_type, attach) -> bool | None
    kfunc_probe: Callable[[str, str, str | None], bool | str | None] | None = field(
        default=None, compare=False, repr=False)

    @property
    def version(self) -> tuple[int, ...]:
        """The release's leading numbers: ``(6, 1, 0)`` for ``6.1.0-57-cloud-amd64``."""
        nums = re.findall(r"\d+", (self.release or self.name).split("-")[0])
        return tuple(int(n) for n in nums[:3])

    def allows(self, helper: int, prog_type: str, attach: str | None = None) -> bool:
        """Whether ``prog_type`` programs (of expected attach type ``attach``) may call helper
        number ``helper`` on this kernel. Program types are measured as a whole or, where the
        kernel's answer depends on the attach type, as ``"type/attach"``.

        A program type that was not probed (``syscall``...) is not judged.
        """
        if attach and f"{prog_type}/{attach}" in self.probed_prog_types:
            prog_type = f"{prog_type}/{attach}"
        elif prog_type not in self.probed_prog_types:
            return True
        return prog_type in self.available_in.get(helper, ())

    def kfunc_allowed(self, name: str, prog_type: str, attach: str | None = None) -> bool:
        """Whether ``prog_type`` programs (attach type ``attach``) may call kfunc ``name`` on
        this kernel (its kfunc sets); program types whose kfuncs were not measured are not
        judged."""
        if self.kfunc_probe is not None:
            answer = self.kfunc_probe(name, prog_type, attach)
            if answer is not None:
                return answer is not False
        if attach and f"{prog_type}/{attach}" in self.kfunc_probed:
            prog_type = f"{prog_type}/{attach}"
        elif prog_type not in self.kfunc_probed:
            return True
        return prog_type in self.kfuncs.get(name, ())

    def kfunc_call_refusal(self, name: str, prog_type: str, attach: str | None = None) -> str | None:
        """The kernel's line when it refuses a call of kfunc ``name`` after checking its
        arguments (this 6.18 build: ``bpf_dynptr_slice_rdwr() is not allowed``), as the probe
        measured it; None when it does not (or nothing was measured).

        >>> SHIPPED.kfunc_call_refusal("bpf_dynptr_slice_rdwr", "xdp") is None
        True
        """
        if self.kfunc_probe is not None:
            answer = self.kfunc_probe(name, prog_type, attach)
            if isinstance(answer, str):
                return answer
        return None

    def load_refusal(self, prog_type: str, attach: str | None, target: str = "") -> str | None:
        """The errno (``"EPERM"``) with which this kernel refuses to load such a program
        before verifying it, or None."""
        key = f"{prog_type}/{attach}"
        return self.load_refusals.get(f"{key}/{target}") or self.load_refusals.get(key)

    def is_gpl_only(self, helper: int) -> bool:
        return helper in self.gpl_only

    def refuses_insn(self, insn: Insn) -> InsnRefusal | None:
        """How this kernel refuses ``insn``, or None when it knows the instruction's form."""
        if not self.insn_forms:
            return None
        form = insn_form(insn)
        return None if form is None else self.insn_forms.get(form)

    def has_feature(self, name: str, default: bool = True) -> bool:
        """Whether the kernel has feature ``name``; ``default`` (the newest kernels' answer,
        True unless the caller knows better) when it was not measured, as for the
        `unknown_features` whose probes this kernel did not answer.

        >>> KernelProfile("x", {}, frozenset(), frozenset(), unknown_features=frozenset({"dynptr_ids"})
        ...               ).has_feature("dynptr_ids")
        True
        """
        return self.features.get(name, default)

    def reword(self, message: str, insn_text: str | None = None) -> str:
        """``message`` (pybpf's wording, the newest kernel's) in this kernel's wording;
        ``insn_text`` is the rejected instruction (as `Report.insn_text` prints it)."""
        for r in self.rewordings:
            message = r.apply(message, insn_text)
        return message

    def vmlinux_btf(self):  # -> pybpf.btf.Btf
        """This kernel's BTF (``/sys/kernel/btf/vmlinux``): the running kernel's when the
        profile records no BTF or the same one, else the copy in the BTF cache (`btf_path`),
        else the running kernel's (with a `BtfError` when there is none)."""
        from ..btf import Btf, vmlinux

        path = btf_path(self)
        if path is not None:
            if path not in _BTF:
                _BTF[path] = Btf.from_file(str(path))
            return _BTF[path]
        return vmlinux()

    def to_json(self) -> dict:
        doc: dict = {"name": self.name, "release": self.release,
                     "available_in": {str(h): sorted(t) for h, t in sorted(self.available_in.items())},
                     "gpl_only": sorted(self.gpl_only),
                     "probed_prog_types": sorted(self.probed_prog_types)}
        if self.insn_forms:
            doc["insn_forms"] = {f: None if r is None else [r.named, r.message]
                                 for f, r in sorted(self.insn_forms.items())}
        if self.map_types is not None:
            doc["map_types"] = sorted(self.map_types)
        if self.features:
            doc["features"] = dict(sorted(self.features.items()))
        if self.unknown_features:
            doc["unknown_features"] = sorted(self.unknown_features)
        if self.rewordings:
            doc["rewordings"] = [r.to_json() for r in self.rewordings]
        if self.nr_cpu_ids != 64:
            doc["nr_cpu_ids"] = self.nr_cpu_ids
        if self.btf:
            doc["btf"] = dict(self.btf)
        if self.load_refusals:
            doc["load_refusals"] = dict(sorted(self.load_refusals.items()))
        if self.kfunc_probed:
            doc["kfunc_probed"] = sorted(self.kfunc_probed)
            doc["kfuncs"] = {k: sorted(t) for k, t in sorted(self.kfuncs.items())}
        return doc

    @classmethod
    def from_json(cls, doc: Mapping) -> KernelProfile:
        forms = {str(f): None if r is None else InsnRefusal(bool(r[0]), str(r[1]))
                 for f, r in doc.get("insn_forms", {}).items()}
        maps = doc.get("map_types")
        return cls(str(doc["name"]),
                   {int(h): frozenset(t) for h, t in doc["available_in"].items()},
                   frozenset(int(h) for h in doc["gpl_only"]),
                   frozenset(doc["probed_prog_types"]),
                   release=str(doc.get("release", "")), insn_forms=forms,
                   map_types=None if maps is None else frozenset(maps),
                   features={str(k): bool(v) for k, v in doc.get("features", {}).items()},
                   unknown_features=frozenset(str(f) for f in doc.get("unknown_features", ())),
                   rewordings=tuple(Rewording.from_json(r) for r in doc.get("rewordings", ())),
                   btf=dict(doc.get("btf", {})),
                   nr_cpu_ids=int(doc.get("nr_cpu_ids", 64)),
                   kfuncs={str(k): frozenset(t) for k, t in doc.get("kfuncs", {}).items()},
                   kfunc_probed=frozenset(doc.get("kfunc_probed", ())),
                   load_refusals={str(k): str(v) for k, v in doc.get("load_refusals", {}).items()})

    @classmethod
    def from_probes(cls, name: str, available_in: Mapping[int, Iterable[str]],
                    gpl_only: Iterable[int], probed_prog_types: Iterable[str], **facts: object) -> KernelProfile:
        return cls(name, {h: frozenset(t) for h, t in available_in.items() if t},
                   frozenset(gpl_only), frozenset(probed_prog_types), **facts)  # type: ignore[arg-type]  # facts: optional fields by name


SHIPPED = KernelProfile.from_probes(
    "shipped", _shipped.AVAILABLE_IN, (h for h, gpl in _shipped.GPL_ONLY.items() if gpl),
    _shipped.PROBED_PROG_TYPES)


#: the folder of the profiles that ship with pybpf (one JSON file per kernel)
PROFILES_DIR = Path(__file__).parent / "profiles"


def shipped_kernels() -> list[str]:
    """Names of the shipped profiles, oldest first (``['6.1', '6.12', '6.18']``)."""
    names = [p.stem for p in PROFILES_DIR.glob("*.json")]
    return sorted(names, key=lambda n: tuple(int(x) for x in re.findall(r"\d+", n)))


_LOADED: dict[str, KernelProfile] = {}


def profile(name: str) -> KernelProfile:
    """A kernel profile by name: a shipped one (``"6.1"``, ``"6.12"``, ``"6.18"``), ``"running"``
    (the running kernel's, once measured here by `pybpf.kernel.features`), or the path of a profile's
    JSON file. Unknown names raise `KernelProfileError` listing the shipped ones.

    >>> profile("6.12").name, profile("6.12").version[:2]
    ('6.12', (6, 12))
    """
    from ..errors import KernelProfileError

    if name in _LOADED:
        return _LOADED[name]
    if name == "running":
        # measured by pybpf.kernel.features.running_kernel_profile(), which a front end runs
        # (the verifier never calls the kernel); once measured it is the default
        measured = default()
        if measured is SHIPPED:
            raise KernelProfileError(
                "the running kernel has not been measured on this machine: call "
                "pybpf.kernel.features.running_kernel_profile() as root (or run `pybpf verify` once)")
        return measured
    path = PROFILES_DIR / f"{name}.json"
    if not path.exists():
        path = Path(name)
        if not (path.suffix == ".json" or os.sep in name) or not path.exists():
            raise KernelProfileError(
                f"no kernel profile {name!r}: give one of {', '.join(shipped_kernels())}, "
                "'running', or the path of a profile's .json file")
    try:
        prof = KernelProfile.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise KernelProfileError(f"{path}: not a kernel profile ({type(e).__name__}: {e})") from None
    _LOADED[name] = prof
    return prof


_BTF: dict[Path, object] = {}


def btf_cache_dir() -> Path:
    """Where kernels' BTF is kept by hash (``<cache>/btf/SHA256.btf``): the vmtest harness
    copies each test kernel's /sys/kernel/btf/vmlinux there; a user may copy one from a
    machine of their fleet (`store_btf`)."""
    return cache_dir() / "btf"


def btf_path(prof: KernelProfile) -> Path | None:
    """The cached BTF of ``prof`` (None: none cached, or the running kernel's is the same)."""
    sha = str(prof.btf.get("sha256", ""))
    if not sha:
        return None
    path = btf_cache_dir() / f"{sha}.btf"
    return path if path.exists() else None


def store_btf(data: bytes) -> Path:
    """Keep a kernel's BTF in the cache under its hash; returns the path."""
    path = btf_cache_dir() / f"{hashlib.sha256(data).hexdigest()}.btf"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


_ACTIVE: ContextVar[KernelProfile | None] = ContextVar("pybpf_kernel_profile", default=None)


def active() -> KernelProfile:
    """The profile of the verification running now (`default` outside one)."""
    return _ACTIVE.get() or default()


class using:  # noqa: N801 - a context manager used as a function
    """Make ``prof`` the `active` profile inside the block (the engine does, per run; a
    class, not a generator: it is entered twice per verification)."""

    __slots__ = ("prof", "token")

    def __init__(self, prof: KernelProfile) -> None:
        self.prof = prof

    def __enter__(self) -> None:
        self.token = _ACTIVE.set(self.prof)

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.reset(self.token)


def cache_dir() -> Path:
    """Where probed profiles are kept (``$XDG_CACHE_HOME/pybpf`` or ``~/.cache/pybpf``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pybpf" / "kernels"


def running_kernel_key() -> str:
    """A name for the running kernel build: its release and a hash of ``/proc/version``
    (which carries the build's compiler, number and date), so a rebuilt kernel of the same
    release gets a profile of its own."""
    release = os.uname().release
    try:
        with open("/proc/version", "rb") as f:
            build = f.read()
    except OSError:
        build = b""
    return f"{release}-{hashlib.sha256(build).hexdigest()[:12]}"


#: bumped when profiles gain facts, so a cache written by an older pybpf is measured again
_CACHE_SCHEMA = "v6"


def cache_path() -> Path:
    """The cache file of the running kernel's profile."""
    return cache_dir() / f"{running_kernel_key()}.{_CACHE_SCHEMA}.json"


_default: KernelProfile | None = None


def default() -> KernelProfile:
    """The running kernel's profile when it has been measured here, else `SHIPPED`."""
    global _default
    if _default is None:
        try:
            _default = KernelProfile.from_json(json.loads(cache_path().read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return SHIPPED  # not measured (yet): try the cache again next time
    return _default


def with_kfunc_probe(profile: KernelProfile,
                     probe: Callable[[str, str, str | None], bool | str | None]) -> KernelProfile:
    """``profile`` (the running kernel's) measuring kfunc availability with ``probe`` when
    asked (`pybpf.kernel.features.kfunc_allowed_here`, attached by
    ``running_kernel_profile``: the verifier itself loads nothing)."""
    return dataclasses.replace(profile, kfunc_probe=probe)


def set_default(profile: KernelProfile | None) -> None:
    """Make ``profile`` the default (None: read the cache again on next use)."""
    global _default
    _default = profile


__all__ = ["FEATURE_TEXT", "FORM_TEXT", "PROFILES_DIR", "SHIPPED", "InsnRefusal", "KernelProfile", "Rewording", "active", "btf_cache_dir",
           "btf_path", "cache_dir", "cache_path", "default", "insn_form", "profile", "running_kernel_key",
           "set_default", "shipped_kernels", "store_btf", "using", "with_kfunc_probe"]
