"""The probes that measure a `KernelProfile`, and how their outcomes become one.

Each `Probe` is a small program (or a map to create) with a key. Whoever can load programs
into a kernel runs them: ``pybpf.kernel.features.probe_kernel_profile`` on the running
kernel, the vmtest harness (``tools/vmtest``) inside a QEMU guest. Both hand the outcomes
(`Outcome`: loaded or not, errno, verifier log) to `build_profile`, so one kernel's profile
is the same whichever way it was measured.

- helpers: ``call N; r0 = 0; exit`` for each program type of `PROG_TYPES` and helper, with a
  GPL and a non-GPL license. The verifier checks that the helper exists for the program type
  (``unknown func``, ``program of this type cannot use helper``) before it looks at the
  arguments, so any other outcome means "available"; ``cannot call GPL-restricted function``
  under the non-GPL license means GPL-only (the way ``bpftool feature probe`` decides);
- instruction forms (`FORM_PROBES`): one program per form of `kernel_profile.insn_form`;
- features (`FEATURE_PROBES`): programs that load only where the kernel has the feature;
- map types (`MAP_PROBES`): a minimal map of each type;
- kfuncs (`kfunc_probes`): ``call <kfunc>; r0 = 0; exit`` for each program kind of
  `KFUNC_KINDS` and each kfunc pybpf knows that the kernel's BTF holds. The verifier checks
  the program type's kfunc sets (``calling kernel function X is not allowed``) before the
  arguments, so any other outcome means "allowed". The kfunc's BTF id and the attach target
  of BTF-attached kinds are the kernel's own: whoever loads the probes resolves them;
- wording (`REWORDINGS`): each candidate difference of wording comes with programs that
  provoke the message; the kernel's message for them decides whether the candidate applies.

>>> probes = helper_probes()
>>> len(probes) > 1000, probes[0].key
(True, 'type:socket_filter')
>>> sorted(FORM_PROBES)[:3]
['bswap16', 'bswap32', 'bswap64']
"""
from __future__ import annotations

import dataclasses
import errno
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..isa.generated.helpers_table import HELPERS
from .kernel_profile import InsnRefusal, KernelProfile, Rewording

#: program types whose helpers a profile measures, with the expected attach type they load with
PROG_TYPES: dict[str, str | None] = {
    "socket_filter": None, "kprobe": None, "sched_cls": None, "sched_act": None,
    "tracepoint": None, "xdp": None, "perf_event": None, "cgroup_skb": None,
    "cgroup_sock": "cgroup_inet_sock_create", "lwt_in": None, "lwt_out": None, "lwt_xmit": None,
    "sock_ops": None, "sk_skb": None, "cgroup_device": None, "sk_msg": None,
    "raw_tracepoint": None, "cgroup_sock_addr": "cgroup_inet4_connect", "lwt_seg6local": None,
    "sk_reuseport": None, "flow_dissector": None, "cgroup_sysctl": None,
    "raw_tracepoint_writable": None, "cgroup_sockopt": "cgroup_getsockopt",
    "sk_lookup": "sk_lookup", "syscall": None, "netfilter": "netfilter",
}
_UNAVAILABLE = ("unknown func", "program of this type cannot use helper", "invalid func")
_GPL_MSG = "cannot call GPL-restricted function"
_PRANDOM = 7  # bpf_get_prandom_u32: every program type may call it


@dataclass(frozen=True)
class Probe:
    """One program to load (``asm`` text, or raw ``call`` of helper ``helper``) or, with
    ``map_type``, one map to create."""

    key: str
    prog_type: str = "socket_filter"
    attach: str | None = None
    asm: str = ""
    helper: int | None = None
    license: str = "GPL"
    map_type: str | None = None
    #: a kfunc called by name (its BTF id is the kernel's: a reference the loader binds)
    kfunc: str | None = None
    #: (section kind, target) of a BTF-attached program kind (``("tp_btf", "sched_switch")``)
    attach_btf: tuple[str, str] | None = None
    prog_flags: int = 0
    #: the instruction where a global function ``int sub(u64 *p __arg_nonnull)`` starts: the
    #: probe loads with BTF and func info describing it (`global_func_btf`)
    global_sub: int = 0

    def object_btf(self) -> tuple[bytes, bytes] | None:
        """(BTF blob, func_info records) the probe loads with, or None."""
        return global_func_btf(self.global_sub) if self.global_sub else None

    def program(self):  # -> pybpf.isa.ProgramSpec
        """The probe's program."""
        from ..asm import assemble
        from ..isa.insn import Insn
        from ..isa.opcodes import CALL, EXIT, AluOp, CallSrc, Class, Source
        from ..isa.program import ProgramSpec, Ref

        if self.kfunc is not None:
            mov = Class.ALU64 | AluOp.MOV | Source.K
            return ProgramSpec([Insn(CALL, src=CallSrc.KFUNC), Insn(mov, dst=0, imm=0), Insn(EXIT)],
                               refs={0: Ref.kfunc(self.kfunc)})
        if self.helper is not None:
            mov = Class.ALU64 | AluOp.MOV | Source.K
            return ProgramSpec([Insn(CALL, imm=self.helper), Insn(mov, dst=0, imm=0), Insn(EXIT)])
        return assemble(self.asm, filename=f"<probe {self.key}>")


@dataclass(frozen=True)
class Outcome:
    """What the kernel answered to a probe."""

    loaded: bool
    errno: int = 0
    log: str = ""


def helper_probes() -> list[Probe]:
    """The helper probes: per program type a plain one (``type:T``, does the type load?), then
    ``helper:T:N`` (GPL) and ``gpl:T:N`` (non-GPL) for every helper."""
    out: list[Probe] = []
    for ptype, attach in PROG_TYPES.items():
        out.append(Probe(f"type:{ptype}", ptype, attach, helper=_PRANDOM))
        for h in sorted(HELPERS):
            if h:
                out.append(Probe(f"helper:{ptype}:{h}", ptype, attach, helper=h))
                out.append(Probe(f"gpl:{ptype}:{h}", ptype, attach, helper=h, license="MIT"))
    return out


#: program kinds whose kfuncs a profile measures (`KernelProfile.kfuncs`): the program types of
#: `PROG_TYPES` and BTF-attached tracing kinds as ``"tracing/ATTACH"`` -> (section kind, target)
KFUNC_TRACING: dict[str, tuple[str, str]] = {"tracing/trace_raw_tp": ("tp_btf", "sched_switch"),
                                             "tracing/trace_iter": ("iter", "task")}
KFUNC_KINDS: tuple[str, ...] = (*PROG_TYPES, *KFUNC_TRACING)
_SLEEPABLE = 1 << 4  # BPF_F_SLEEPABLE: syscall programs must be
_KFUNC_REFUSED = "calling kernel function {} is not allowed"


def kfunc_probes(names: Iterable[str]) -> list[Probe]:
    """The kfunc probes for the kfuncs ``names`` (those the kernel's BTF holds): per program
    kind a plain one (``kfunctype:K``, does the kind load?), then ``kfunc:K:NAME``.

    >>> [p.key for p in kfunc_probes(["bpf_rcu_read_lock"])][:2]
    ['kfunctype:socket_filter', 'kfunc:socket_filter:bpf_rcu_read_lock']
    """
    out: list[Probe] = []
    names = sorted(names)
    for kind in KFUNC_KINDS:
        attach: str | None
        if kind in KFUNC_TRACING:
            ptype, attach = kind.split("/")
            where: tuple[str, str] | None = KFUNC_TRACING[kind]
        else:
            ptype, attach, where = kind, PROG_TYPES[kind], None
        flags = _SLEEPABLE if kind == "syscall" else 0
        out.append(Probe(f"kfunctype:{kind}", ptype, attach, helper=_PRANDOM, attach_btf=where,
                         prog_flags=flags))
        out += [Probe(f"kfunc:{kind}:{n}", ptype, attach, kfunc=n, attach_btf=where, prog_flags=flags)
                for n in names]
    return out


def kfunc_allowed(outcome: Outcome, name: str) -> bool | None:
    """What a kfunc probe's outcome says: allowed, not allowed, or None (the probe never
    reached the kfunc check: no verifier log at all)."""
    if outcome.loaded:
        return True
    if _KFUNC_REFUSED.format(name) in outcome.log:
        return False
    if not outcome.log.strip() or outcome.log.lstrip().startswith("processed 0 insns"):
        return None
    return True


#: BTF-attached program kinds a kernel build may refuse to load before verifying them (a
#: security policy, a configuration): `KernelProfile.load_refusals` key -> (prog type, expected
#: attach type, (section kind, a target every kernel has))
REFUSAL_KINDS: dict[str, tuple[str, str, tuple[str, str]]] = {
    "tracing/trace_fentry": ("tracing", "trace_fentry", ("fentry", "do_unlinkat")),
    "tracing/trace_fexit": ("tracing", "trace_fexit", ("fexit", "do_unlinkat")),
    "tracing/modify_return": ("tracing", "modify_return", ("fmod_ret", "bpf_modify_return_test")),
    "lsm/lsm_mac": ("lsm", "lsm_mac", ("lsm", "file_open")),
}


def refusal_probes(attach_types: Iterable[tuple[str, str]] = ()) -> list[Probe]:
    """``refusal:KEY`` for each kind of `REFUSAL_KINDS` and each iterator target pybpf knows
    (``refusal:tracing/trace_iter/TARGET``): ``r0 = 0; exit``, which any kernel that loads
    the kind accepts; and ``refusal:TYPE/ATTACH`` for each (program type, expected attach
    type) of ``attach_types``: ``r0 = 1; exit`` (a kernel older than the attach type, or the
    program type, refuses the load with EINVAL). A failure without a verifier message is a
    refusal."""
    from .btf_ctx import ITER_CTX_ARGS

    kinds: dict[str, tuple[str, str, tuple[str, str] | None]] = dict(REFUSAL_KINDS)
    kinds.update({f"tracing/trace_iter/{t}": ("tracing", "trace_iter", ("iter", t)) for t in sorted(ITER_CTX_ARGS)})
    out = [Probe(f"refusal:{key}", ptype, attach, asm="r0 = 0\nexit", attach_btf=where)
           for key, (ptype, attach, where) in kinds.items()]
    out += [Probe(f"refusal:{ptype}/{attach}", ptype, attach, asm="r0 = 1\nexit")
            for ptype, attach in sorted(set(attach_types))]
    return out


_STACK8 = "*(u64 *)(r10 - 8) = 7\n"
#: instruction form -> a socket filter holding it (loads wherever the kernel knows the form)
FORM_PROBES: dict[str, str] = {
    "sdiv32": "w0 = 7\nw0 s/= 3\nexit", "sdiv64": "r0 = 7\nr0 s/= 3\nexit",
    "smod32": "w0 = 7\nw0 s%= 3\nexit", "smod64": "r0 = 7\nr0 s%= 3\nexit",
    "movsx8_32": "w0 = 7\nw0 = (s8)w0\nexit", "movsx16_32": "w0 = 7\nw0 = (s16)w0\nexit",
    "movsx8_64": "r0 = 7\nr0 = (s8)r0\nexit", "movsx16_64": "r0 = 7\nr0 = (s16)r0\nexit",
    "movsx32_64": "r0 = 7\nr0 = (s32)r0\nexit",
    "ldsx8": _STACK8 + "r0 = *(s8 *)(r10 - 8)\nexit", "ldsx16": _STACK8 + "r0 = *(s16 *)(r10 - 8)\nexit",
    "ldsx32": _STACK8 + "r0 = *(s32 *)(r10 - 8)\nexit",
    "bswap16": "r0 = 7\nr0 = bswap16 r0\nexit", "bswap32": "r0 = 7\nr0 = bswap32 r0\nexit",
    "bswap64": "r0 = 7\nr0 = bswap64 r0\nexit",
    "gotol": "call bpf_get_prandom_u32\nif r0 == 0 goto a\ngotol out\na:\nr0 = 1\nout:\nr0 = 0\nexit",
    "may_goto": "r0 = 0\nmay_goto out\nr0 = 1\nout:\nexit",
    "load_acquire": _STACK8 + "r0 = load_acquire((u64 *)(r10 - 8))\nexit",
    "store_release": "r1 = 7\nstore_release((u64 *)(r10 - 8), r1)\nr0 = 0\nexit",
}

#: kfunc -> the start of a program giving it valid arguments (R1-R4), for the kfuncs a kernel
#: may refuse only after checking them (this 6.18 build: ``bpf_dynptr_slice_rdwr() is not
#: allowed``): a dynptr over an 8-byte map value and an 8-byte stack buffer
_SLICE_ARGS = (
    ".map m array key=4 value=8 max_entries=1\n*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\n"
    "r1 = m ll\ncall bpf_map_lookup_elem\nif r0 != 0 goto ok\nexit\nok:\nr1 = r0\nr2 = 8\n"
    "r3 = 0\nr4 = r10\nr4 += -24\ncall bpf_dynptr_from_mem\n*(u64 *)(r10 - 32) = 0\n"
    "r1 = r10\nr1 += -24\nr2 = 0\nr3 = r10\nr3 += -32\nr4 = 8\n")
KFUNC_ARG_PROBES: dict[str, str] = {"bpf_dynptr_slice": _SLICE_ARGS,
                                    "bpf_dynptr_slice_rdwr": _SLICE_ARGS}


def kfunc_probe_program(name: str, btf_id: int):  # -> pybpf.isa.ProgramSpec
    """``call <kfunc>; r0 = 0; exit`` for kfunc ``name`` (vmlinux BTF id ``btf_id``), after
    valid arguments where `KFUNC_ARG_PROBES` has them.

    >>> len(kfunc_probe_program("bpf_task_acquire", 1).insns)
    3
    """
    from ..asm import assemble
    from ..isa import CALL, Insn

    spec = assemble(KFUNC_ARG_PROBES.get(name, "") + "r0 = 0\nexit\n")
    insns = list(spec.insns)
    insns.insert(len(insns) - 2, Insn(CALL, src=2, imm=btf_id))  # after every map reference
    return spec.replace(insns=insns, license="GPL")


#: feature -> (program type, program) that loads only where the kernel has the feature
FEATURE_PROBES: dict[str, tuple[str, str]] = {
    "bounded_loops": ("socket_filter", "r0 = 0\nl:\nr0 += 1\nif r0 < 4 goto l\nexit"),
    # the lookup of a constant in-range key in an array cannot fail (no NULL check needed)
    "array_lookup_const_key_nonnull": (
        "socket_filter", ".map m array key=4 value=8 max_entries=4\n*(u32 *)(r10 - 4) = 0\n"
        "r2 = r10\nr2 += -4\nr1 = m ll\ncall bpf_map_lookup_elem\n*(u64 *)(r0 + 0) = 1\nr0 = 0\nexit"),
    # comparing two unknown scalars narrows both (before: only against a constant)
    "reg_reg_refinement": (
        "socket_filter", ".map m array key=4 value=64 max_entries=1\ncall bpf_get_prandom_u32\n"
        "w6 = w0\ncall bpf_get_prandom_u32\nw7 = w0\n*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\n"
        "r1 = m ll\ncall bpf_map_lookup_elem\nif r0 == 0 goto out\nif r7 > 63 goto out\n"
        "if r6 >= r7 goto out\nr0 += r6\nr0 = *(u8 *)(r0 + 0)\nout:\nr0 = 0\nexit"),
    # reading a field of struct bpf_map through a map pointer is refused
    "map_ptr_read_refused": (
        "socket_filter", ".map m hash key=4 value=8 max_entries=16\nr1 = m ll\n"
        "r0 = *(u32 *)(r1 + 36)\nexit"),
}
_PRIV_STACK = "*(u64 *)(r10 - 200) = 0\ncall sub\nr0 = 0\nexit\nsub:\n*(u64 *)(r10 - 400) = 0\nr0 = 0\nexit"
FEATURE_PROBES["private_stack"] = (
    # a subprogram of a tracing program with 64 bytes of stack or more gets a stack of its own
    # (the JIT's private stack): the call chain's combined 608 bytes do not count
    "tracepoint", _PRIV_STACK)
# the kernel decides per program type (bpf_enable_priv_stack): measured for each type it
# names, as builds differ (this 6.18 build gives perf_event programs one, tracepoints none)
for _t in ("kprobe", "tracepoint", "perf_event", "raw_tracepoint"):
    FEATURE_PROBES[f"private_stack_{_t}"] = (_t, _PRIV_STACK)
# a byte swap (be16/le64/bswap) or a negation of a known number keeps its bounds (before:
# the result is an unknown 64-bit number, and fp + it is unbounded pointer math)
for _feat, _op in (("byte_swap_bounds", "r2 = be16 r2"), ("neg_bounds", "r2 = -r2")):
    FEATURE_PROBES[_feat] = ("socket_filter", f"r2 = 0\n{_op}\nr1 = r10\nr1 += -8\nr1 += r2\n"
                                              "*(u64 *)(r1 + 0) = 0\nr0 = 0\nexit")
# with an unknown operand, a 32-bit or/mul/xor is still bounded (is_safe_to_compute_dst_reg_range,
# 6.7; before, every operation but add, sub and and left all 64 bits unknown)
FEATURE_PROBES["alu_safe_range"] = (
    "socket_filter", "call bpf_get_prandom_u32\nw6 = w0\ncall bpf_get_prandom_u32\nw0 |= w6\n"
    "r1 = r10\nr1 += r0\nr0 = 0\nexit")
# a 64-bit (s8)/(s16) move of a number whose 64-bit bounds' tops differ keeps the
# subregister's range when it is in the narrow type's range already (this 6.18 build:
# r7 = (s8)r7 of a value whose low 32 bits are in [0, 63] stays in [0, 63]); a kernel without
# it gives the narrow type's whole range, and the map value pointer plus it may go negative
FEATURE_PROBES["movsx_subreg_range"] = (
    "socket_filter", ".map m array key=4 value=256 max_entries=1\ncall bpf_get_prandom_u32\nr7 = r0\n"
    "r7 <<= 32\ncall bpf_get_prandom_u32\nr0 &= 63\nr7 |= r0\nr7 = (s8)r7\n*(u32 *)(r10 - 4) = 0\n"
    "r2 = r10\nr2 += -4\nr1 = m ll\ncall bpf_map_lookup_elem\nif r0 == 0 goto out\nr0 += r7\n"
    "r1 = *(u8 *)(r0 + 0)\nout:\nr0 = 0\nexit")
#: feature -> (program type, program, what the log says where the kernel has the feature, what
#: it says where it lacks it): a probe the kernel refuses either way, in other words; neither
#: pattern in the log (or the probe loaded) leaves the feature unknown
FEATURE_PROBES_LOG: dict[str, tuple[str, str, str, str]] = {
    # a ring buffer dynptr has an id of its own beside its reference's (before: its id is its
    # reference's, so the leak is "Unreleased reference id=1" where 6.12 says id=2)
    "dynptr_ids": ("socket_filter", ".map rb ringbuf key=0 value=0 max_entries=4096\nr1 = rb ll\nr2 = 8\n"
                   "r3 = 0\nr4 = r10\nr4 += -16\ncall bpf_ringbuf_reserve_dynptr\nr0 = 0\nexit",
                   r"Unreleased reference id=2 ", r"Unreleased reference id=1 "),
}
#: features -> the C corpus programs (``family/file:program`` of ``tests/verifier/c``) whose
#: messages depend on them: the fleet harness loads them into each kernel and
#: ``tests/vmtest/test_kernel_messages.py`` holds that each profile's value (measured by the
#: feature's probe) is the one that predicts them
FEATURE_EVIDENCE: dict[str, tuple[str, ...]] = {
    # a global function is verified when the program first calls it (before 6.8: every
    # global function before the program, "Validating f() func#N...")
    "global_funcs_lazy": ("func/global_funcs:tc_global_nonull", "func/global_more:xdp_count",
                          "func/global_funcs:tc_global", "func/arg_tags:xdp_ptr_ret"),
    # the arg: declaration tags of a global function's arguments (__arg_ctx, __arg_nonnull...)
    "global_func_arg_tags": ("func/arg_tags:xdp_arg_ctx", "func/arg_tags:xdp_nonnull"),
    # a dynptr has an id of its own beside its reference's (before: a ring buffer dynptr's id
    # is its reference's, so "Unreleased reference id=1" where 6.12 says id=2)
    "dynptr_ids": ("kfunc/dynptr_ringbuf:rb_dynptr_leak",),
}
FEATURE_PROBES["helper_read_keeps_spill"] = (
    # a spilled register a helper reads (a map key) keeps its type and bounds (before: the
    # kernel made it an unknown scalar, as for a helper's write)
    "socket_filter", ".map m array key=4 value=128 max_entries=16\ncall bpf_get_prandom_u32\n"
    "w0 &= 15\n*(u32 *)(r10 - 8) = r0\nr2 = r10\nr2 += -8\nr1 = m ll\ncall bpf_map_lookup_elem\n"
    "if r0 == 0 goto out\nr1 = *(u32 *)(r10 - 8)\nr1 <<= 3\nr0 += r1\nr0 = *(u64 *)(r0 + 0)\n"
    "out:\nr0 = 0\nexit")
#: feature -> (section kind, attach target, program) of a BTF-attached probe: it loads only
#: where the kernel has the feature
FEATURE_PROBES_BTF: dict[str, tuple[str, str, str]] = {
    # a tracepoint argument of type `const void *` (kmalloc's ptr) reads as a scalar (before:
    # "func 'kmalloc' arg1 type UNKNOWN is not a struct")
    "btf_ctx_modified_void_ptr": ("tp_btf", "kmalloc", "r0 = *(u64 *)(r1 + 8)\nr0 = 0\nexit"),
}
#: feature -> program of a socket filter whose global function ``sub`` (at label ``sub``)
#: takes ``u64 *p`` tagged ``arg:nonnull`` in its BTF: it loads only where the kernel has the
#: feature
FEATURE_PROBES_GLOBAL: dict[str, str] = {
    # argument tags of global functions (6.8): sub reads *p without a NULL check
    "global_func_arg_tags": "*(u64 *)(r10 - 8) = 1\nr1 = r10\nr1 += -8\ncall sub\nr0 = 0\nexit\n"
                            "sub:\nr0 = *(u64 *)(r1 + 0)\nr0 = 0\nexit",
}
FEATURE_PROBES_GLOBAL["global_funcs_lazy"] = (
    # a global function is verified where the program first calls it (6.8), so one only a dead
    # branch calls is never verified (before: every global function is verified before the
    # program, and sub reads R2, which its one argument leaves uninitialized)
    "r0 = 0\nif r0 != 0 goto call\nexit\ncall:\nr1 = r10\nr1 += -8\n*(u64 *)(r10 - 8) = 0\n"
    "call sub\nr0 = 0\nexit\nsub:\nr0 = r2\nexit")
FEATURE_PROBES_GLOBAL["global_func_null_arg_refused"] = (
    # a NULL passed for an arg:nonnull argument is refused at the call (before: accepted, as
    # any NULL for a memory argument)
    "r1 = 0\ncall sub\nr0 = 0\nexit\nsub:\nr0 = 0\nexit")
FEATURE_PROBES["linked_reg_add_const32"] = (
    # a 32-bit copy plus a constant stays linked to its source (w3 = w1; w1 += -1): a bound
    # on w3 bounds w1 (before: only 64-bit adds kept the link, and only since 6.11)
    "socket_filter", "call bpf_get_prandom_u32\nw1 = w0\nw1 &= 7\nw3 = w1\nw1 += -1\n"
    "if w3 < 1 goto out\nif w3 > 4 goto out\nr2 = r10\nr2 += -8\nr2 += r1\n*(u8 *)(r2 + 0) = 0\n"
    "out:\nr0 = 0\nexit")
#: features whose probe program is *refused* where the kernel has the feature
_FEATURE_WHEN_REFUSED = frozenset({"map_ptr_read_refused", "global_func_null_arg_refused"})


def global_func_btf(sub: int) -> tuple[bytes, bytes]:
    """BTF and func info of a program ``int main(void *ctx)`` at instruction 0 and a global
    ``int sub(u64 *p __arg_nonnull)`` at instruction ``sub``, as clang writes them.

    >>> blob, func_info = global_func_btf(6)
    >>> len(func_info)
    16
    """
    import struct

    from ..btf.format import IntEncoding, Linkage
    from ..btf.writer import BtfBuilder

    b = BtfBuilder()
    i32 = b.add_int("int", 4, IntEncoding.SIGNED)
    u64 = b.add_int("unsigned long long", 8)
    main = b.add_func("main", b.add_func_proto(i32, [("ctx", b.add_ptr(0))]), Linkage.GLOBAL)
    fn = b.add_func("sub", b.add_func_proto(i32, [("p", b.add_ptr(u64))]), Linkage.GLOBAL)
    b.add_decl_tag("arg:nonnull", fn, 0)
    return b.encode(), struct.pack("<IIII", 0, main, sub, fn)

#: map type -> MAP_CREATE fields of a minimal map of it (types whose creation needs BTF or a
#: kernel object are not probed)
MAP_PROBES: dict[str, dict[str, int]] = {
    **{t: {"key_size": 4, "value_size": 8, "max_entries": 1} for t in (
        "hash", "array", "percpu_hash", "percpu_array", "stack_trace", "lru_hash", "lru_percpu_hash",
        "devmap", "cpumap", "devmap_hash")},
    **{t: {"key_size": 4, "value_size": 4, "max_entries": 1} for t in (
        "prog_array", "perf_event_array", "cgroup_array", "sockmap", "xskmap", "sockhash",
        "reuseport_sockarray")},
    "lpm_trie": {"key_size": 8, "value_size": 8, "max_entries": 1, "map_flags": 1},
    "queue": {"key_size": 0, "value_size": 8, "max_entries": 1},
    "stack": {"key_size": 0, "value_size": 8, "max_entries": 1},
    "ringbuf": {"key_size": 0, "value_size": 0, "max_entries": 4096},
    "user_ringbuf": {"key_size": 0, "value_size": 0, "max_entries": 4096},
    "bloom_filter": {"key_size": 0, "value_size": 8, "max_entries": 1},
    "arena": {"key_size": 0, "value_size": 0, "max_entries": 1, "map_flags": 1 << 10},
}


@dataclass(frozen=True)
class RewordingCandidate:
    """A known difference of wording, with the probes (program type, attach, program) that
    provoke the message: a kernel gets the rewording when, for every probe, it prints
    exactly what the rewording makes of pybpf's message."""

    name: str
    rewording: Rewording
    probes: tuple[tuple[str, str | None, str], ...]
    #: for a message no assembly probe can provoke (it needs a map with BTF, a global
    #: function's BTF, a timer): the C corpus programs (``family/file:program`` of
    #: ``tests/verifier/c``) that show it. The fleet harness loads them into each kernel and
    #: ``tests/vmtest/test_kernel_messages.py`` checks that exactly the profiles holding the
    #: rewording print its result; `build_profile` keeps such a rewording where the shipped
    #: profile of the same name has it (the probes cannot measure it again)
    evidence: tuple[str, ...] = ()


_MAP = ".map m hash key=4 value=8 max_entries=16\n"
_RB = ".map rb ringbuf key=0 value=0 max_entries=4096\nr1 = rb ll\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\n"
_SF = "socket_filter"
_RC = RewordingCandidate
_RW = Rewording
#: candidates, in the order they apply
REWORDINGS: tuple[RewordingCandidate, ...] = (
    _RC("helper_unknown_func", _RW(r"program of this type cannot use helper (\S+)", "unknown func {1}"),
        (("cgroup_sock", "cgroup_inet_sock_create", "r1 = 1\nr2 = 0\ncall bpf_redirect\nr0 = 1\nexit"),)),
    _RC("helper_stack_indirect",
        _RW(r"invalid (?:read from|write to) stack (R\d+ off=-?\d+ size=\d+)",
            "invalid indirect access to stack {1}", insn=r"^call "),
        (("tracepoint", None, "r1 = r10\nr1 += -16\nr2 = 32\ncall bpf_get_current_comm\nr0 = 0\nexit"),
         (_SF, None, _MAP + "r2 = r10\nr2 += -2\nr1 = m ll\ncall bpf_map_lookup_elem\nr0 = 0\nexit"))),
    _RC("zero_sized_read", _RW(r"R\d+ invalid zero-sized read: u64=\[-?\d+,-?\d+\]", "invalid zero-sized read"),
        ((_SF, None, "r2 = 0\nr3 = r10\nr3 += -8\nr4 = 0\ncall bpf_skb_load_bytes\nr0 = 0\nexit"),)),
    _RC("map_key_expected_types",
        _RW(r"(R2 type=\S+ expected=fp, pkt, pkt_meta, map_key, map_value), mem, ringbuf_mem, buf, trusted_ptr_",
            "{1}"),
        ((_SF, None, _MAP + "r1 = m ll\nr2 = 0\ncall bpf_map_lookup_elem\nr0 = 0\nexit"),)),
    _RC("mem_expected_types",
        _RW(r"expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
            "expected=fp, pkt, pkt_meta, map_key, map_value, mem, alloc_mem, buf"),
        (("tracepoint", None, "r2 = 16\ncall bpf_get_current_comm\nr0 = 0\nexit"),)),
    _RC("ringbuf_mem_named_alloc_mem", _RW(r"ringbuf_mem", "alloc_mem"),
        ((_SF, None, _RB + "r0 += 1\nr0 = 0\nexit"),)),
    _RC("leak_without_exit_line",
        _RW(r"(Unreleased reference [^\n]*)\nBPF_EXIT instruction in main prog would lead to reference leak",
            "{1}"),
        ((_SF, None, _RB + "if r0 == 0 goto out\n*(u64 *)(r0 + 0) = 1\nout:\nr0 = 0\nexit"),)),
    _RC("tail_call_map_misconfigured",
        _RW(r"expected prog array map for tail call", "kernel subsystem misconfigured verifier"),
        ((_SF, None, _MAP + "r2 = m ll\nr3 = 0\ncall bpf_tail_call\nr0 = 0\nexit"),)),
    _RC("return_range_as_tnum",
        _RW(r"has smin=(-?\d+) smax=\1 should have been in \[(-?\d+), (-?\d+)\]",
            "has value {1|tnum} should have been in {2,3|tnumrange}"),
        (("cgroup_skb", "cgroup_inet_egress", "r0 = 4\nexit"),)),
    _RC("return_unknown_range_as_tnum",
        _RW(r"has unknown scalar value should have been in \[(-?\d+), (-?\d+)\]",
            "has unknown scalar value should have been in {1,2|tnumrange}"),
        (("cgroup_skb", "cgroup_inet_ingress", "call bpf_get_prandom_u32\nexit"),)),
    _RC("return_smin_smax_as_tnum",
        _RW(r"has smin=(-?\d+) smax=(-?\d+) should have been in \[(-?\d+), (-?\d+)\]",
            "has value {1,2|tnumrange} should have been in {3,4|tnumrange}"),
        (("cgroup_skb", "cgroup_inet_egress", "call bpf_get_prandom_u32\nw0 = w0\nexit"),)),
    _RC("btf_id_expected_without_trusted",
        _RW(r"(expected=(?:[^\n]*, )?ptr_), trusted_ptr_(?:, rcu_ptr_)?", "{1}"),
        (("kprobe", None, "*(u64 *)(r10 - 8) = 0\nr1 = 0\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\n"
                          "call bpf_get_task_stack\nr0 = 0\nexit"),)),
    _RC("misaligned_stack_tnum",
        _RW(r"misaligned stack access off (-?\d+)\+", "misaligned stack access off {1|tnum}+"),
        ((_SF, None, "*(u64 *)(r10 - 4) = 1\nr0 = 0\nexit"),)),
    _RC("var_off_stack_without_off",
        _RW(r"(invalid variable-offset (?:read from|write to) stack R\d+ var_off=\([^)]*\)) off=-?\d+ (size=\d+)",
            "{1} {2}"),
        ((_SF, None, "call bpf_get_prandom_u32\nr0 &= 15\nr1 = r10\nr1 += -8\nr1 += r0\n"
                     "*(u8 *)(r1 + 0) = 0\nr0 = 0\nexit"),)),
    _RC("caller_passes_without_name",
        _RW(r"Caller passes invalid args into func#(\d+) \('[^']*'\)", "Caller passes invalid args into func#{1}"),
        (), evidence=("func/global_ctx:tp_struct_arg_small",)),
    _RC("dynptr_arg_from_one",
        _RW(r"Expected an initialized dynptr as arg #(\d+)", "Expected an initialized dynptr as arg #{1|inc}"),
        ((_SF, None, ".map rb ringbuf key=0 value=0 max_entries=4096\nr1 = rb ll\nr2 = 8\nr3 = 0\n"
                     "r4 = r10\nr4 += -16\ncall bpf_ringbuf_reserve_dynptr\nr1 = r10\nr1 += -16\nr2 = 0\n"
                     "call bpf_ringbuf_discard_dynptr\nr1 = r10\nr1 += -16\nr2 = 0\nr3 = 8\n"
                     "call bpf_dynptr_data\nr0 = 0\nexit"),)),
    _RC("async_callback_exit",
        _RW(r"At async callback return the register", "At async callback the register"),
        (), evidence=("sync/timers:tc_bad_cb_ret",)),
    _RC("spin_lock_off_without_at",
        _RW(r"(off \d+ doesn't point to 'struct bpf_spin_lock') that is at \d+", "{1}"),
        (), evidence=("sync/spin_lock_more:wrong_offset",)),
    _RC("spin_unlock_missing",
        _RW(r"BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region",
            "bpf_spin_unlock is missing"),
        (), evidence=("sync/spin_lock:tc_lock_held",)),
    _RC("rcu_unlock_missing",
        _RW(r"BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region",
            "bpf_rcu_read_unlock is missing"),
        (), evidence=("kfunc/rcu_task:exit_in_rcu",)),
    _RC("map_in_map_lookup_as_map_value",
        _RW(r"\bmap_ptr_or_null\b", "map_value_or_null"),
        ((_SF, None, ".map inner array key=4 value=8 max_entries=1\n"
                     ".map outer array_of_maps key=4 value=4 max_entries=1 inner=inner\n"
                     "*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nr1 = outer ll\ncall bpf_map_lookup_elem\n"
                     "r1 = r0\nr2 = r10\nr2 += -4\ncall bpf_map_lookup_elem\nr0 = 0\nexit"),)),
    # after btf_id_expected_without_trusted: a kernel without the PTR_TRUSTED flag (6.1)
    _RC("btf_id_without_trusted_flag",
        _RW(r"\btrusted_ptr_", "ptr_"),
        (("kprobe", None, "call bpf_get_current_task_btf\nr1 = r0\n*(u64 *)(r10 - 8) = 0\nr2 = r10\n"
                          "r2 += -8\ncall bpf_map_lookup_elem\nr0 = 0\nexit"),)),
)


def _label_insn(asm: str, label: str) -> int:
    """The instruction index of ``label`` in ``asm``."""
    from ..asm import assemble

    before = asm.split(f"\n{label}:", 1)[0]
    return len(assemble(before + "\nexit").insns) - 1


def all_probes() -> list[Probe]:
    """Every probe of a profile, keyed ``type:``/``helper:``/``gpl:``/``form:``/``feature:``/
    ``map:``/``reword:NAME:I``."""
    out = helper_probes()
    out += [Probe(f"form:{f}", asm=a) for f, a in FORM_PROBES.items()]
    out += [Probe(f"feature:{f}", t, asm=a) for f, (t, a) in FEATURE_PROBES.items()]
    out += [Probe(f"feature:{f}", "tracing", "trace_raw_tp" if kind == "tp_btf" else kind, asm=a,
                  attach_btf=(kind, target)) for f, (kind, target, a) in FEATURE_PROBES_BTF.items()]
    out += [Probe(f"feature:{f}", asm=a, global_sub=_label_insn(a, "sub"))
            for f, a in FEATURE_PROBES_GLOBAL.items()]
    out += [Probe(f"feature:{f}", t, asm=a) for f, (t, a, _has, _lacks) in FEATURE_PROBES_LOG.items()]
    out += [Probe(f"map:{m}", map_type=m) for m in MAP_PROBES]
    for c in REWORDINGS:
        out += [Probe(f"reword:{c.name}:{i}", t, a, asm=p) for i, (t, a, p) in enumerate(c.probes)]
    return out


_INSN_LINE = re.compile(r"^\d+: (\([0-9a-f]{2}\) |BUG_)")


def error_lines(log: str) -> tuple[bool, list[str]]:
    """(whether an instruction line precedes the error, the error lines) of a rejection's log at
    log_level 1: the lines after the last instruction line, without state lines and the summary."""
    lines = [ln for ln in log.rstrip("\n").split("\n")]
    end = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith("processed ")), len(lines))
    start = next((i + 1 for i in range(end - 1, -1, -1) if _INSN_LINE.match(lines[i])), 0)
    keep = [ln.rstrip() for ln in lines[start:end]
            if ln.strip() and not re.match(r"^(\d+: )?(frame\d+: ?)?(R\d+(_\w+)?=|fp-\d+=|; )|^from \d+ to \d+: ", ln)
            and not ln.startswith(("verification time", "stack depth", "mark_precise", "last_idx", "regs=",
                                   "parent ", "func#"))]
    return start > 0, keep


#: pybpf's (message, rejected instruction's text) for a probe under a profile without
#: rewordings (None: accepted)
Predict = Callable[[KernelProfile, str, "str | None", str], "tuple[str, str | None] | None"]


def build_profile(name: str, release: str, outcomes: Mapping[str, Outcome], *,
                  predict: Predict | None = None, btf: Mapping[str, object] | None = None) -> KernelProfile:
    """The profile the outcomes of `all_probes` (or any subset) measure.

    ``predict(profile, prog_type, attach, asm)`` gives pybpf's message for a rewording probe
    under the profile measured so far (default: pybpf's verifier).
    """
    avail: dict[int, list[str]] = {}
    gpl: set[int] = set()
    probed: list[str] = []
    for ptype in PROG_TYPES:
        t = outcomes.get(f"type:{ptype}")
        if t is None or not t.loaded:
            continue  # programs of this type do not load there with a plain body
        probed.append(ptype)
        for h in HELPERS:
            o = outcomes.get(f"helper:{ptype}:{h}")
            if o is None or not (o.loaded or not any(u in o.log for u in _UNAVAILABLE)):
                continue
            avail.setdefault(h, []).append(ptype)
            m = outcomes.get(f"gpl:{ptype}:{h}")
            if m is not None and not m.loaded and _GPL_MSG in m.log:
                gpl.add(h)
    forms: dict[str, InsnRefusal | None] = {}
    for form in FORM_PROBES:
        o = outcomes.get(f"form:{form}")
        if o is None:
            continue
        if o.loaded:
            forms[form] = None
        else:
            named, lines = error_lines(o.log)
            forms[form] = InsnRefusal(named, "\n".join(lines))
    features = {}
    for feat in (*FEATURE_PROBES, *FEATURE_PROBES_BTF, *FEATURE_PROBES_GLOBAL):
        o = outcomes.get(f"feature:{feat}")
        if o is not None:
            features[feat] = (not o.loaded) if feat in _FEATURE_WHEN_REFUSED else o.loaded
    for feat, (_t, _a, has, lacks) in FEATURE_PROBES_LOG.items():
        o = outcomes.get(f"feature:{feat}")
        if o is not None and not o.loaded and (re.search(has, o.log) or re.search(lacks, o.log)):
            features[feat] = bool(re.search(has, o.log))
    # what this kernel's probes did not answer stays unknown (the verifier then judges it as
    # the newest kernels do: `KernelProfile.unknown_features`), never another profile's value
    unknown = frozenset(f for f in (*FEATURE_PROBES, *FEATURE_PROBES_BTF, *FEATURE_PROBES_GLOBAL,
                                    *FEATURE_PROBES_LOG, *FEATURE_EVIDENCE) if f not in features) \
        if any(k.startswith("feature:") for k in outcomes) else frozenset()
    shipped = _shipped_profile(name)
    maps = None
    if any(k.startswith("map:") for k in outcomes):
        maps = frozenset(m for m in MAP_PROBES if (o := outcomes.get(f"map:{m}")) is not None and o.loaded)
    kfunc_probed: list[str] = []
    kfuncs: dict[str, set[str]] = {}
    for kind in KFUNC_KINDS:
        t = outcomes.get(f"kfunctype:{kind}")
        if t is None or not t.loaded:
            continue
        kfunc_probed.append(kind)
        prefix = f"kfunc:{kind}:"
        for key, o in outcomes.items():
            if key.startswith(prefix) and kfunc_allowed(o, key[len(prefix):]) is not False:
                kfuncs.setdefault(key[len(prefix):], set()).add(kind)
    refusals: dict[str, str] = {}
    for key, o in outcomes.items():
        if key.startswith("refusal:") and not o.loaded:
            log = o.log.strip()
            if not log or log.startswith("processed 0 insns"):  # no verifier message at all
                refusals[key.removeprefix("refusal:")] = errno.errorcode.get(o.errno, str(o.errno))
    base = KernelProfile.from_probes(name, avail, gpl, probed, release=release, insn_forms=forms,
                                     map_types=maps, features=features, unknown_features=unknown,
                                     btf=dict(btf or {}),
                                     load_refusals=refusals,
                                     kfuncs={k: frozenset(v) for k, v in kfuncs.items()},
                                     kfunc_probed=frozenset(kfunc_probed))
    rewordings = []
    predict = predict or _pybpf_message
    for c in REWORDINGS:
        if not c.probes:  # measured by the C corpus on the fleet, not by a probe
            if shipped is not None and c.rewording in shipped.rewordings:
                rewordings.append(c.rewording)
            continue
        results = [outcomes.get(f"reword:{c.name}:{i}") for i in range(len(c.probes))]
        if not results or any(r is None or r.loaded for r in results):
            continue
        ok = True
        for (ptype, attach, asm), r in zip(c.probes, results, strict=True):
            ours = predict(base, ptype, attach, asm)
            theirs = "\n".join(error_lines(r.log)[1])  # type: ignore[union-attr]  # no None: any() above
            if ours is None or ours[0] == theirs or c.rewording.apply(*ours) != theirs:
                ok = False
        if ok:
            rewordings.append(c.rewording)
    return dataclasses.replace(base, rewordings=tuple(rewordings))


def _shipped_profile(name: str) -> KernelProfile | None:
    """The profile shipped as ``name`` (None when there is no such file): what the C corpus
    measured of it (`FEATURE_EVIDENCE`, `RewordingCandidate.evidence`) is carried over."""
    from .kernel_profile import PROFILES_DIR

    path = PROFILES_DIR / f"{name}.json"
    return KernelProfile.from_json(json.loads(path.read_text())) if path.is_file() else None


def _pybpf_message(profile: KernelProfile, prog_type: str, attach: str | None, asm: str
                   ) -> tuple[str, str | None] | None:
    from ..asm import assemble
    from .engine import verify

    report = verify(assemble(asm), prog_type, expected_attach_type=attach, kernel=profile)
    return None if report.accepted else (report.message or "", report.insn_text)
