"""Hypothesis strategies: structured, plausible BPF programs for the verifier differential campaign.

A program is a prologue (``r6 = r1``: the context stays in r6), one to three
*blocks* drawn from templates with random parameters, and an epilogue
(``r0 = 0; exit``), followed by the subprograms that blocks call. Each template
draws the parameters of a correct program and, with a modest probability, one
mistake (a missing NULL check, an off-by-one bound, a wrong helper argument...),
so both verdicts are frequent. Every draw that introduces a mistake shrinks
towards "no mistake", so hypothesis shrinks a failure to the blocks that matter.

Templates (the ``tags`` of a `GenCase` name them and the variants drawn):
map lookups with and without NULL checks, stack reads and writes at random
offsets and widths, packet accesses with and without a correct ``data_end``
check (xdp, sched_cls), pointer arithmetic with bounded and unbounded scalars,
counter and ``may_goto`` loops, bpf-to-bpf calls, helper arguments right and
wrong (map update, ``skb/xdp_load_bytes`` sizes, ring buffer reserve/submit/
discard/leak), context fields at random offsets and widths, ALU on pointers
(allowed and forbidden operators, pointer differences, spills and leaks), bounded
scalars spilled and filled (8 and 4 bytes, intact or partly overwritten),
LD_ABS/LD_IND, tail calls, atomics, packet pointers moved by a variable offset,
nested calls, and unknown scalars through ALU operations and branch
refinements (both widths) before they index a map value.

>>> from hypothesis import find
>>> case = find(gen_cases(), lambda c: "map" in c.tags[0])
>>> case.prog_type in PROG_TYPES and case.text.rstrip().endswith("exit")
True
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st

PROG_TYPES = ("socket_filter", "xdp", "sched_cls", "cgroup_skb", "tracepoint", "raw_tracepoint",
              "perf_event", "cgroup_sock")
#: the types whose context is an skb or xdp buffer (packet and LD_ABS templates apply)
PACKET_TYPES = ("xdp", "sched_cls", "cgroup_skb")
#: (data, data_end) offsets in the context, per program type with direct packet access
PACKET_CTX = {"xdp": (0, 4), "sched_cls": (76, 80), "socket_filter": (76, 80),
              "cgroup_skb": (76, 80)}
SIZES = {1: "u8", 2: "u16", 4: "u32", 8: "u64"}


@dataclass(frozen=True)
class GenCase:
    """One generated program: its type, assembly text and the template/variant tags."""

    prog_type: str
    text: str
    tags: tuple[str, ...] = ()


@dataclass
class _Prog:
    prog_type: str
    maps: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    subs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    n: int = 0

    def fresh(self, stem: str) -> str:
        self.n += 1
        return f"{stem}{self.n}"

    def emit(self, *lines: str) -> None:
        self.body.extend(lines)


def _bug(draw: st.DrawFn, percent: int) -> bool:
    """True with about ``percent``% probability; shrinks to False."""
    return draw(st.integers(0, 99)) >= 100 - percent


def _pick(draw: st.DrawFn, good: list, bad: list, percent: int):
    """A value from ``good`` usually, from ``bad`` with about ``percent``% probability."""
    if bad and _bug(draw, percent):
        return draw(st.sampled_from(bad)), True
    return draw(st.sampled_from(good)), False


# -- building blocks shared by templates --------------------------------------------------------
def _unknown_scalar(draw: st.DrawFn, p: _Prog, reg: str) -> str:
    """Emit code leaving an unknown scalar in ``reg`` (clobbers r0-r5); returns its source."""
    src = draw(st.sampled_from(["prandom", "ctx_len", "prandom32"]))
    if src == "ctx_len" and p.prog_type in ("socket_filter", "sched_cls", "cgroup_skb"):
        p.emit(f"{reg} = *(u32 *)(r6 + 0)")
    elif src == "prandom32":
        p.emit("call bpf_get_prandom_u32", f"w{reg[1:]} = w0")
    else:
        src = "prandom"
        p.emit("call bpf_get_prandom_u32", f"{reg} = r0")
    return src


def _lookup(draw: st.DrawFn, p: _Prog, end: str, *, value: int, null_check: bool = True) -> str:
    """Declare a map, look up key 0; r0 = value pointer (NULL-checked when asked)."""
    name = p.fresh("m")
    kind = draw(st.sampled_from(["hash", "array", "hash", "array", "percpu_array", "percpu_hash",
                                 "lru_hash"]))
    p.maps.append(f".map {name} {kind} key=4 value={value} max_entries=4")
    koff = draw(st.sampled_from([4, 8, 12, 16, 32]))
    key_init = not _bug(draw, 6)
    if key_init:
        p.emit(f"*(u32 *)(r10 - {koff}) = 0")
    else:
        p.tags.append("key_uninit")
    mapreg, bad = _pick(draw, [f"{name} ll"], ["r10", "0", "r6"], 5)
    if bad:
        p.tags.append("bad_map_arg")
    p.emit("r2 = r10", f"r2 += -{koff}", f"r1 = {mapreg}", "call bpf_map_lookup_elem")
    if null_check:
        op = draw(st.sampled_from(["if r0 == 0 goto {end}", "if r0 != 0 goto +1\ngoto {end}"]))
        p.emit(*op.format(end=end).split("\n"))
    return name


# -- templates ----------------------------------------------------------------------------------
def t_map(draw: st.DrawFn, p: _Prog) -> None:
    """Map lookup, NULL check (or not), a read or write at an offset in (or out of) the value."""
    end = p.fresh("map_end")
    value = draw(st.sampled_from([4, 8, 16, 24, 64, 3, 12, 20]))
    null_check = not _bug(draw, 12)
    p.tags.append("map" if null_check else "map:no_null_check")
    _lookup(draw, p, end, value=value, null_check=null_check)
    size = draw(st.sampled_from([s for s in SIZES if s <= value]))
    good = list(range(0, value - size + 1))
    off, bad = _pick(draw, good, [value - size + 1, value, -1, -size, value - 1], 12)
    if bad:
        p.tags.append("map:oob")
    if draw(st.booleans()):
        p.emit(f"r1 = *({SIZES[size]} *)(r0 + {off})")
    else:
        imm = draw(st.sampled_from([0, 1, -1, 0x7fffffff]))
        p.emit(f"*({SIZES[size]} *)(r0 + {off}) = {imm}")
    if draw(st.integers(0, 9)) == 0:
        p.tags.append("map:deref_after_end")
        p.emit(f"{end}:", "r1 = *(u8 *)(r0 + 0)")
        return
    p.emit(f"{end}:")


def t_stack(draw: st.DrawFn, p: _Prog) -> None:
    """A write then a read of the stack at random offsets and widths."""
    p.tags.append("stack")
    wsize = draw(st.sampled_from(list(SIZES)))
    aligned = not _bug(draw, 15)
    base = draw(st.integers(1, 64)) * -8
    woff = base if aligned else base + draw(st.integers(1, 7))
    if _bug(draw, 8):
        woff = draw(st.sampled_from([-520, -513, -512 + 4, -4, 0, 4, -2]))
        p.tags.append("stack:edge")
    src = draw(st.sampled_from(["imm", "scalar", "fp", "ctx"]))
    if src == "imm":
        p.emit(f"*({SIZES[wsize]} *)(r10 {'+' if woff >= 0 else '-'} {abs(woff)}) = 7")
    else:
        reg = {"scalar": "r7", "fp": "r10", "ctx": "r6"}[src]
        if src == "scalar":
            p.emit("r7 = 42")
        p.emit(f"*({SIZES[wsize]} *)(r10 {'+' if woff >= 0 else '-'} {abs(woff)}) = {reg}")
    rsize, roff = wsize, woff
    if _bug(draw, 15):
        p.tags.append("stack:mismatch")
        rsize = draw(st.sampled_from(list(SIZES)))
        roff = woff + draw(st.sampled_from([-8, -4, -1, 1, 4, 8]))
    p.emit(f"r1 = *({SIZES[rsize]} *)(r10 {'+' if roff >= 0 else '-'} {abs(roff)})")
    if src in ("fp", "ctx") and draw(st.booleans()):
        p.emit("r2 = *(u32 *)(r1 + 0)")  # deref the refilled pointer
        p.tags.append("stack:fill_deref")


def t_packet(draw: st.DrawFn, p: _Prog) -> None:
    """Direct packet access with a data_end check: correct, off by one, or missing."""
    end = p.fresh("pkt_end")
    data, data_end = PACKET_CTX[p.prog_type]
    p.tags.append("packet")
    p.emit(f"r2 = *(u32 *)(r6 + {data})", f"r3 = *(u32 *)(r6 + {data_end})")
    n = draw(st.sampled_from([1, 2, 4, 8, 14, 20, 34, 60]))
    size = draw(st.sampled_from([s for s in SIZES if s <= n]))
    off, bad = _pick(draw, list(range(0, n - size + 1)), [n - size + 1, n], 15)
    if bad:
        p.tags.append("packet:off_by_one")
    check = not _bug(draw, 10)
    if check:
        form = draw(st.sampled_from(["gt", "ge", "lt_rev", "le_rev", "gt_strict_bug", "gt",
                                     "w_gt", "meta"]))
        if form == "meta" and p.prog_type != "xdp":
            form = "gt"
        p.emit("r4 = r2", f"r4 += {n}")
        if form == "gt":
            p.emit(f"if r4 > r3 goto {end}")
        elif form == "ge":
            p.emit(f"if r4 >= r3 goto {end}")  # one byte stricter than needed: still safe
        elif form == "lt_rev":
            p.emit(f"if r3 < r4 goto {end}")
        elif form == "le_rev":
            p.emit(f"if r3 <= r4 goto {end}")
        elif form == "w_gt":  # a 32-bit comparison of packet pointers
            p.tags.append("packet:jmp32")
            p.emit(f"if w4 > w3 goto {end}")
        elif form == "meta":  # data_meta .. data: a check against data, the access via meta
            p.tags.append("packet:meta")
            p.emit("r3 = r2", "r2 = *(u32 *)(r6 + 8)", "r4 = r2", f"r4 += {n}",
                   f"if r4 > r3 goto {end}")
        else:  # the comparison the wrong way round: the access is on the unchecked side
            p.tags.append("packet:inverted")
            p.emit(f"if r4 <= r3 goto {end}")
    else:
        p.tags.append("packet:no_check")
    if draw(st.booleans()):
        p.emit(f"r0 = *({SIZES[size]} *)(r2 + {off})")
    else:
        p.emit(f"*({SIZES[size]} *)(r2 + {off}) = 1")
        p.tags.append("packet:write")
    p.emit(f"{end}:")


def t_ptr_arith(draw: st.DrawFn, p: _Prog) -> None:
    """A pointer plus a scalar that is bounded (correctly or off by one) or unbounded."""
    end = p.fresh("pa_end")
    target = draw(st.sampled_from(["map", "stack", "packet"] if p.prog_type in PACKET_TYPES
                                  else ["map", "stack"]))
    p.tags.append(f"ptr_arith:{target}")
    _unknown_scalar(draw, p, "r7")
    if target == "map":
        size = draw(st.sampled_from([8, 16, 48]))
        _lookup(draw, p, end, value=size)
        p.emit("r8 = r0")
    elif target == "stack":
        size = draw(st.sampled_from([8, 16, 32]))
        for o in range(8, size + 1, 8):
            p.emit(f"*(u64 *)(r10 - {o}) = 0")
        p.emit("r8 = r10", f"r8 += -{size}")
    else:
        size = draw(st.sampled_from([8, 16, 32]))
        data, data_end = PACKET_CTX[p.prog_type]
        p.emit(f"r8 = *(u32 *)(r6 + {data})", f"r3 = *(u32 *)(r6 + {data_end})", "r4 = r8",
               f"r4 += {size}", f"if r4 > r3 goto {end}")
    acc = draw(st.sampled_from([1, 2, 4, 8]))
    acc = min(acc, size)
    limit = size - acc  # the largest safe index
    how = draw(st.sampled_from(["jgt", "and", "jge", "jsgt", "w_and", "none"]))
    bad = _bug(draw, 20)
    if how == "none":
        if not bad:
            how = "and"
        else:
            p.tags.append("ptr_arith:unbounded")
    if how == "jgt":
        k = limit + 1 if bad else limit
        p.emit(f"if r7 > {k} goto {end}")
    elif how == "jge":
        k = limit + 2 if bad else limit + 1
        p.emit(f"if r7 >= {k} goto {end}")
    elif how == "jsgt":  # signed upper bound only: negative values stay possible
        p.emit(f"if r7 s> {limit} goto {end}")
        if not bad:
            p.emit(f"if r7 s< 0 goto {end}")
        else:
            p.tags.append("ptr_arith:signed_only")
    elif how in ("and", "w_and"):
        mask = (1 << max(limit.bit_length(), 0)) - 1 if limit else 0
        while mask > limit:
            mask >>= 1
        if bad:
            mask = mask * 2 + 1
        p.emit(f"r7 &= {mask}" if how == "and" else f"w7 &= {mask}")
    if bad and how != "none":
        p.tags.append("ptr_arith:off_by_one")
    if draw(st.integers(0, 9)) == 0:
        p.emit("r7 += r8", f"r0 = *({SIZES[acc]} *)(r7 + 0)")  # scalar + pointer
        p.tags.append("ptr_arith:scalar_plus_ptr")
    else:
        p.emit("r8 += r7", f"r0 = *({SIZES[acc]} *)(r8 + 0)")
    p.emit(f"{end}:")


def t_loop(draw: st.DrawFn, p: _Prog) -> None:
    """A bounded counter loop, a may_goto loop, or a loop that never terminates."""
    top, end = p.fresh("loop"), p.fresh("loop_end")
    kind = draw(st.sampled_from(["counter", "counter32", "down", "may_goto", "counter_body"]))
    p.tags.append(f"loop:{kind}")
    n = draw(st.integers(1, 40))
    if _bug(draw, 10):
        p.tags.append("loop:infinite")
        p.emit("r7 = 0", f"{top}:", f"if r7 > {n} goto {end}", "r8 = r7", f"goto {top}", f"{end}:")
        return
    if kind in ("counter", "counter32", "counter_body"):
        step = draw(st.sampled_from([1, 1, 2, 3]))
        p.emit("r7 = 0", "r8 = 0", f"{top}:")
        if kind == "counter_body":
            p.emit(f"*(u64 *)(r10 - {draw(st.sampled_from([8, 16, 64]))}) = r7")
        p.emit("r8 += r7", f"r7 += {step}")
        p.emit(f"if w7 < {n} goto {top}" if kind == "counter32" else f"if r7 < {n} goto {top}")
    elif kind == "down":
        p.emit(f"r7 = {n}", f"{top}:", "r7 -= 1", f"if r7 != 0 goto {top}")
    else:
        p.emit("r7 = 0", f"{top}:", f"may_goto {end}", "r7 += 1", f"goto {top}", f"{end}:")


def t_call(draw: st.DrawFn, p: _Prog) -> None:
    """A bpf-to-bpf call: arguments, a pointer to the caller's stack, the callee's own stack."""
    fn = p.fresh("fn")
    p.tags.append("call")
    nargs = draw(st.integers(0, 3))
    for i in range(1, nargs + 1):
        p.emit(f"r{i} = {draw(st.integers(0, 100))}")
    stack_arg = draw(st.booleans())
    if stack_arg:
        init = not _bug(draw, 10)
        if init:
            p.emit("*(u64 *)(r10 - 8) = 5")
        else:
            p.tags.append("call:uninit_stack_arg")
        p.emit("r4 = r10", "r4 += -8")
    p.emit(f"call {fn}", "r7 = r0")
    r0_uninit = _bug(draw, 8)
    if r0_uninit:
        p.tags.append("call:r0_uninit")
    acc = "r9" if r0_uninit else "r0"  # without r0 = ..., the callee returns nothing
    sub = [f"{fn}:", f"{acc} = 0"]
    reads = list(range(1, nargs + 1))
    if _bug(draw, 10):
        reads.append(draw(st.sampled_from([5, 6, 7])) if not stack_arg else 5)
        p.tags.append("call:uninit_arg")
    sub += [f"{acc} += r{r}" for r in reads]
    if stack_arg:
        sub += ["r3 = *(u64 *)(r4 + 0)", f"{acc} += r3"]
    frame = draw(st.sampled_from([8, 64, 256, 512]))
    if _bug(draw, 5):
        frame = 520
        p.tags.append("call:frame_oob")
    sub.append(f"*(u64 *)(r10 - {frame}) = {acc}")
    if _bug(draw, 3):
        sub.append(f"call {fn}")
        p.tags.append("call:recursive")
    sub.append("exit")
    p.subs.extend(sub)


def t_helper(draw: st.DrawFn, p: _Prog) -> None:
    """Helper arguments right and wrong: map update, load_bytes sizes, ring buffers."""
    which = draw(st.sampled_from(["update", "load_bytes", "ringbuf", "ringbuf_output",
                                  "wrong_type"]))
    getattr(_Helpers, which)(draw, p)


class _Helpers:
    @staticmethod
    def update(draw: st.DrawFn, p: _Prog) -> None:
        p.tags.append("helper:update")
        name = p.fresh("m")
        value = draw(st.sampled_from([8, 16, 32]))
        p.maps.append(f".map {name} hash key=4 value={value} max_entries=4")
        p.emit("*(u32 *)(r10 - 4) = 1")
        voff = draw(st.sampled_from([16, 32, 48]))
        init = value
        if _bug(draw, 15):
            init = value - 8
            p.tags.append("helper:value_partly_uninit")
        for o in range(0, init, 8):
            p.emit(f"*(u64 *)(r10 - {voff - o}) = {o}")
        if voff < value:
            p.tags.append("helper:value_past_frame")
        val, bad = _pick(draw, [f"r3 = r10\nr3 += -{voff}"], ["r3 = 0", "r3 = r6"], 6)
        if bad:
            p.tags.append("helper:bad_value_ptr")
        p.emit(f"r1 = {name} ll", "r2 = r10", "r2 += -4", *val.split("\n"), "r4 = 0",
               "call bpf_map_update_elem")

    @staticmethod
    def load_bytes(draw: st.DrawFn, p: _Prog) -> None:
        if p.prog_type not in ("socket_filter", *PACKET_TYPES):
            _Helpers.update(draw, p)
            return
        p.tags.append("helper:load_bytes")
        buf = draw(st.sampled_from([4, 8, 16, 32]))
        helper = "bpf_xdp_load_bytes" if p.prog_type == "xdp" else "bpf_skb_load_bytes"
        how = draw(st.sampled_from(["const", "const", "masked", "bounded"]))
        bad = _bug(draw, 25)
        end = p.fresh("lb_end")
        if how == "const":
            size = draw(st.sampled_from([0, buf + 1, buf + 8])) if bad else draw(
                st.integers(1, buf))
            p.emit(f"r4 = {size}")
        else:
            _unknown_scalar(draw, p, "r4")
            if how == "masked":
                p.emit(f"r4 &= {buf - 1 if not bad else buf * 2 - 1}", "r4 += 1")
            else:
                p.emit(f"if r4 > {buf + (1 if bad else 0)} goto {end}", f"if r4 == 0 goto {end}")
        if bad:
            p.tags.append("helper:load_bytes_size_bad")
        p.emit("r1 = r6", f"r2 = {draw(st.integers(0, 20))}", "r3 = r10", f"r3 += -{buf}",
               f"call {helper}", f"{end}:")

    @staticmethod
    def ringbuf(draw: st.DrawFn, p: _Prog) -> None:
        p.tags.append("helper:ringbuf")
        end = p.fresh("rb_end")
        name = p.fresh("rb")
        p.maps.append(f".map {name} ringbuf max_entries=4096")
        size = draw(st.sampled_from([8, 16, 24, 64]))
        size_src, bad_size = _pick(draw, [f"r2 = {size}"], ["r2 = r7"], 5)
        if bad_size:
            p.emit("call bpf_get_prandom_u32", "r7 = r0")
            p.tags.append("ringbuf:var_size")
        p.emit(f"r1 = {name} ll", size_src, "r3 = 0", "call bpf_ringbuf_reserve")
        null_check = not _bug(draw, 8)
        if null_check:
            p.emit(f"if r0 == 0 goto {end}")
        else:
            p.tags.append("ringbuf:no_null_check")
        off, bad = _pick(draw, list(range(0, size - 7, 8)), [size - 4, size], 8)
        if bad:
            p.tags.append("ringbuf:oob")
        p.emit(f"*(u64 *)(r0 + {off}) = 1")
        fate = draw(st.sampled_from(["submit", "discard"]))
        if _bug(draw, 10):
            fate = draw(st.sampled_from(["leak", "double", "release_other"]))
            p.tags.append(f"ringbuf:{fate}")
        if fate == "leak":
            p.emit(f"{end}:")
            return
        if fate == "release_other":
            p.emit("r1 = r10", "r1 += -8", "r2 = 0", "call bpf_ringbuf_submit", f"{end}:")
            return
        if fate == "double":
            p.emit("r7 = r0")
        p.emit("r1 = r0", "r2 = 0")
        p.emit(f"call bpf_ringbuf_{fate if fate != 'double' else 'submit'}")
        if fate == "double":
            p.emit("r1 = r7", "r2 = 0", "call bpf_ringbuf_submit")
        p.emit(f"{end}:")

    @staticmethod
    def ringbuf_output(draw: st.DrawFn, p: _Prog) -> None:
        p.tags.append("helper:ringbuf_output")
        name = p.fresh("rb")
        kind, bad = _pick(draw, ["ringbuf"], ["hash", "array"], 8)
        if bad:
            p.maps.append(f".map {name} {kind} key=4 value=8 max_entries=4")
            p.tags.append("helper:wrong_map_type")
        else:
            p.maps.append(f".map {name} ringbuf max_entries=4096")
        size = draw(st.sampled_from([8, 16]))
        init = size if not _bug(draw, 12) else size - 8
        if init < size:
            p.tags.append("helper:buf_partly_uninit")
        for o in range(0, init, 8):
            p.emit(f"*(u64 *)(r10 - {16 - o}) = {o}")
        p.emit(f"r1 = {name} ll", "r2 = r10", "r2 += -16", f"r3 = {size}", "r4 = 0",
               "call bpf_ringbuf_output")

    @staticmethod
    def wrong_type(draw: st.DrawFn, p: _Prog) -> None:
        helper = draw(st.sampled_from(["bpf_ktime_get_ns", "bpf_get_smp_processor_id",
                                       "bpf_get_current_pid_tgid", "bpf_probe_read_kernel",
                                       "bpf_get_current_comm", "bpf_get_socket_cookie"]))
        p.tags.append(f"helper:call:{helper}")
        if helper == "bpf_probe_read_kernel":
            p.emit("r1 = r10", "r1 += -8", "r2 = 8", "r3 = 0")
        elif helper == "bpf_get_current_comm":
            p.emit("r1 = r10", "r1 += -16", "r2 = 16")
        elif helper == "bpf_get_socket_cookie":
            p.emit("r1 = r6")
        p.emit(f"call {helper}")


#: context sizes worth probing per program type (offsets beyond are drawn too)
CTX_SPAN = {"socket_filter": 192, "sched_cls": 192, "xdp": 24, "cgroup_skb": 192, "tracepoint": 64,
            "raw_tracepoint": 104, "perf_event": 192, "cgroup_sock": 96}


def t_ctx(draw: st.DrawFn, p: _Prog) -> None:
    """A context field read or written at a random offset and width."""
    p.tags.append("ctx")
    span = CTX_SPAN[p.prog_type]
    size = draw(st.sampled_from([4, 4, 4, 8, 2, 1]))
    off = draw(st.integers(0, span // 4 - 1)) * 4
    if _bug(draw, 10):
        off = draw(st.sampled_from([span, span + 4, off + 1, off + 2, -4]))
        p.tags.append("ctx:odd_offset")
    if draw(st.integers(0, 3)) == 0:
        p.tags.append("ctx:write")
        src = draw(st.sampled_from(["imm", "reg"]))
        if src == "imm":
            p.emit(f"*({SIZES[size]} *)(r6 + {off}) = 1")
        else:
            p.emit("r1 = 3", f"*({SIZES[size]} *)(r6 + {off}) = r1")
    else:
        p.emit(f"r1 = *({SIZES[size]} *)(r6 + {off})")
    if _bug(draw, 5):
        p.tags.append("ctx:modified_ptr")
        p.body[-1:] = ["r2 = r6", "r2 += 4", p.body[-1].replace("r6 + ", "r2 + ")]


def t_ptr_alu(draw: st.DrawFn, p: _Prog) -> None:
    """ALU on pointers: allowed moves, forbidden operators, pointer differences, leaks."""
    end = p.fresh("alu_end")
    kind = draw(st.sampled_from(["stack", "ctx", "map"]))
    p.tags.append(f"ptr_alu:{kind}")
    if kind == "stack":
        p.emit("r8 = r10")
    elif kind == "ctx":
        p.emit("r8 = r6")
    else:
        _lookup(draw, p, end, value=16)
        p.emit("r8 = r0")
    good = ["r8 += 0", "r8 += 8\nr8 += -8", "r9 = r8\nr9 -= r8", "r1 = 4\nr8 += r1\nr8 -= r1",
            "r9 = r8"]
    bad = ["r8 *= 2", "r8 &= -8", "r8 |= 1", "r8 <<= 1", "r8 = -r8", "w8 += 1", "r8 >>= 1",
           "r8 ^= 1", "r9 = 1\nr9 -= r8", "r8 /= 2", "r9 = r10\nr9 -= r6"]
    op, bad_op = _pick(draw, good, bad, 30)
    if bad_op:
        p.tags.append("ptr_alu:op")
    p.emit(*op.split("\n"))
    use = draw(st.sampled_from(["none", "deref", "store", "cmp"]))
    if use == "deref" and kind != "ctx":
        p.emit("r1 = *(u64 *)(r8 - 8)" if kind == "stack" else "r1 = *(u64 *)(r8 + 0)")
    elif use == "store":  # a pointer spilled to the stack (or leaked into a map value)
        p.emit("*(u64 *)(r10 - 16) = r8" if kind != "map" else "*(u64 *)(r8 + 8) = r10")
    elif use == "cmp":
        p.emit(f"if r8 == r6 goto {end}", "r1 = 0")
    p.emit(f"{end}:")


def t_spill(draw: st.DrawFn, p: _Prog) -> None:
    """A bounded scalar spilled to the stack, filled back and used as a map value index."""
    end = p.fresh("sp_end")
    p.tags.append("spill")
    _unknown_scalar(draw, p, "r7")
    p.emit("r7 &= 7")
    width = draw(st.sampled_from([8, 8, 4]))
    slot = draw(st.sampled_from([8, 16, 24]))
    p.emit(f"*({SIZES[width]} *)(r10 - {slot}) = r7")
    clobber = _bug(draw, 20)
    if clobber:  # part of the slot overwritten: the fill gives an unknown value
        p.tags.append("spill:clobbered")
        p.emit(f"*(u8 *)(r10 - {slot - draw(st.integers(0, width - 1))}) = 0")
    _lookup(draw, p, end, value=draw(st.sampled_from([8, 16])))
    p.emit(f"r1 = *({SIZES[width]} *)(r10 - {slot})", "r0 += r1", "r1 = *(u8 *)(r0 + 0)",
           f"{end}:")


def t_ld_abs(draw: st.DrawFn, p: _Prog) -> None:
    """Legacy packet loads (LD_ABS / LD_IND), which need the context in r6."""
    p.tags.append("ld_abs")
    size = draw(st.sampled_from(["u8", "u16", "u32"]))
    if _bug(draw, 15):
        p.tags.append("ld_abs:r6_clobbered")
        p.emit("r6 = 0")
    if draw(st.booleans()):
        p.emit(f"r0 = *({size} *)skb[{draw(st.integers(0, 60))}]")
    else:
        p.emit("r7 = 3", f"r0 = *({size} *)skb[r7 + {draw(st.integers(0, 40))}]")
    p.emit("r1 = r0")


def t_tail_call(draw: st.DrawFn, p: _Prog) -> None:
    """bpf_tail_call with a program array (or the wrong kind of map)."""
    p.tags.append("tail_call")
    name = p.fresh("pa")
    kind, bad = _pick(draw, ["prog_array"], ["array", "hash"], 15)
    if bad:
        p.tags.append("tail_call:wrong_map")
    p.maps.append(f".map {name} {kind} key=4 value=4 max_entries=4")
    ctx, bad_ctx = _pick(draw, ["r1 = r6"], ["r1 = r10", "r1 = 0"], 10)
    if bad_ctx:
        p.tags.append("tail_call:bad_ctx")
    p.emit(ctx, f"r2 = {name} ll", f"r3 = {draw(st.integers(0, 5))}", "call bpf_tail_call")


#: scalar operations (``{k}`` a small constant) applied to an unknown value before it indexes
SCALAR_OPS = ["r7 &= {k}", "r7 >>= {k}", "r7 += {k}", "r7 -= {k}", "r7 *= {k}", "w7 &= {k}",
              "w7 >>= {k}", "w7 += {k}", "r7 |= {k}", "r7 s>>= {k}", "r7 %= {k}", "r7 /= {k}",
              "w7 = w7", "r7 = (s8)r7", "r7 = (s16)r7", "w7 = (s8)w7", "r7 = -r7", "r7 <<= {k}",
              "r7 = be16 r7", "r7 = le32 r7", "r7 ^= {k}", "w7 -= {k}", "w7 *= {k}",
              "*(u64 *)(r10 - 8) = r7\nr7 = *(s8 *)(r10 - 8)", "r7 = (s32)r7", "r7 s/= {k}",
              "r7 s%= {k}", "w7 s/= {k}", "r7 >>= r8", "w7 <<= w8"]
#: refinements by conditional jumps (to the block's end)
SCALAR_JUMPS = ["if r7 > {k} goto {end}", "if r7 >= {k} goto {end}", "if w7 > {k} goto {end}",
                "if r7 s> {k} goto {end}", "if r7 s< 0 goto {end}", "if w7 s< 0 goto {end}",
                "if r7 & {big} goto {end}", "if r7 == {k} goto {end}", "if r7 < {k} goto {end}",
                "if w7 >= {k} goto {end}", "if r7 s>= {k} goto {end}", "if r7 < 0 goto {end}",
                "if r7 != 0 goto {end}", "if r7 > r8 goto {end}"]


def t_bounds(draw: st.DrawFn, p: _Prog) -> None:
    """An unknown scalar through a few ALU operations and branches, then a map value index."""
    end = p.fresh("bd_end")
    p.tags.append("bounds")
    _unknown_scalar(draw, p, "r7")
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            op = draw(st.sampled_from(SCALAR_OPS))
            if "r8" in op or "w8" in op:
                p.emit(f"r8 = {draw(st.sampled_from([1, 3, 31, 63, 64]))}")
            k = draw(st.sampled_from([1, 2, 3, 4, 7, 8, 15, 16, 31, 63, 255]))
            p.emit(*op.format(k=k).split("\n"))
        else:
            jmp = draw(st.sampled_from(SCALAR_JUMPS))
            if "r8" in jmp:
                p.emit(f"r8 = {draw(st.sampled_from([7, 15, 63]))}")
            p.emit(jmp.format(k=draw(st.sampled_from([0, 1, 7, 8, 15, 16, 63, 64, 255])),
                              big=draw(st.sampled_from([-8, -16, 0xf0, -256])), end=end))
    _lookup(draw, p, end, value=draw(st.sampled_from([16, 64, 256])))
    p.emit("r0 += r7", "r1 = *(u8 *)(r0 + 0)", f"{end}:")


def t_atomic(draw: st.DrawFn, p: _Prog) -> None:
    """Atomic operations on the stack, a map value, the context or the packet."""
    end = p.fresh("at_end")
    where = draw(st.sampled_from(["stack", "stack", "map", "map", "ctx", "packet"]))
    if where == "packet" and p.prog_type not in PACKET_TYPES:
        where = "ctx"
    p.tags.append(f"atomic:{where}")
    width = draw(st.sampled_from([8, 4]))
    w = "u64" if width == 8 else "u32"
    r = "r" if width == 8 else "w"
    if where == "stack":
        off = draw(st.sampled_from([8, 16, 24]))
        if not _bug(draw, 15):
            p.emit(f"*(u64 *)(r10 - {off}) = 0")
        else:
            p.tags.append("atomic:uninit")
        base = f"r10 - {off}"
    elif where == "map":
        _lookup(draw, p, end, value=16)
        p.emit("r8 = r0")
        base = f"r8 + {draw(st.sampled_from([0, 8, 4, 12, 2]))}"
    elif where == "ctx":
        base = "r6 + 0"
    else:
        if p.prog_type == "socket_filter":
            p.tags.append("atomic:no_packet")
        data, data_end = PACKET_CTX[p.prog_type]
        p.emit(f"r8 = *(u32 *)(r6 + {data})", f"r3 = *(u32 *)(r6 + {data_end})", "r4 = r8",
               "r4 += 8", f"if r4 > r3 goto {end}")
        base = "r8 + 0"
    op = draw(st.sampled_from(["add", "fetch_add", "xchg", "cmpxchg", "or", "fetch_and"]))
    p.emit(f"{r}1 = 1")
    if op == "add":
        p.emit(f"lock *({w} *)({base}) += {r}1")
    elif op == "or":
        p.emit(f"lock *({w} *)({base}) |= {r}1")
    elif op in ("fetch_add", "fetch_and"):
        p.emit(f"{r}1 = atomic_{op}(({w} *)({base}), {r}1)")
    elif op == "xchg":
        p.emit(f"{r}1 = xchg{'_64' if width == 8 else '32_32'}({base}, {r}1)")
    else:
        p.emit(f"{r}0 = 0", f"{r}0 = cmpxchg{'_64' if width == 8 else '32_32'}({base}, {r}0, {r}1)")
    p.emit(f"{end}:")


def t_pkt_var(draw: st.DrawFn, p: _Prog) -> None:
    """A packet pointer moved by a bounded variable offset, then checked again (or not)."""
    end = p.fresh("pv_end")
    p.tags.append("pkt_var")
    data, data_end = PACKET_CTX[p.prog_type]
    p.emit(f"r2 = *(u32 *)(r6 + {data})", f"r3 = *(u32 *)(r6 + {data_end})", "r4 = r2",
           "r4 += 1", f"if r4 > r3 goto {end}", "r5 = *(u8 *)(r2 + 0)")
    mask = draw(st.sampled_from([0xf, 0x3f, 0xff]))
    if _bug(draw, 12):
        p.tags.append("pkt_var:unbounded")
        p.emit("r5 <<= 20")
    else:
        p.emit(f"r5 &= {mask}")
    p.emit("r2 += r5")
    need = draw(st.sampled_from([1, 2, 4, 8]))
    if not _bug(draw, 15):
        p.emit("r4 = r2", f"r4 += {need}", f"if r4 > r3 goto {end}")
    else:
        p.tags.append("pkt_var:no_recheck")
    acc = draw(st.sampled_from([s for s in SIZES if s <= need] if not _bug(draw, 10) else [8]))
    p.emit(f"r0 = *({SIZES[acc]} *)(r2 + 0)", f"{end}:")


def t_deep_calls(draw: st.DrawFn, p: _Prog) -> None:
    """A chain of nested bpf-to-bpf calls, each frame using some stack."""
    depth = draw(st.integers(2, 9))
    frame = draw(st.sampled_from([8, 32, 64, 128]))
    p.tags.append(f"deep_calls:{depth}x{frame}")
    names = [p.fresh("deep") for _ in range(depth)]
    p.emit(f"call {names[0]}")
    for i, name in enumerate(names):
        p.subs.append(f"{name}:")
        p.subs.append(f"*(u64 *)(r10 - {frame}) = 1")
        if i + 1 < depth:
            p.subs.append(f"call {names[i + 1]}")
        p.subs += ["r0 = 0", "exit"]


TEMPLATES: dict[str, Callable[[st.DrawFn, _Prog], None]] = {
    "map": t_map, "stack": t_stack, "packet": t_packet, "ptr_arith": t_ptr_arith,
    "loop": t_loop, "call": t_call, "helper": t_helper, "ctx": t_ctx, "ptr_alu": t_ptr_alu,
    "spill": t_spill, "ld_abs": t_ld_abs, "tail_call": t_tail_call, "bounds": t_bounds,
    "atomic": t_atomic, "pkt_var": t_pkt_var, "deep_calls": t_deep_calls,
}


@st.composite
def gen_cases(draw: st.DrawFn, max_blocks: int = 3) -> GenCase:
    """A structured program: a context save, 1..max_blocks template blocks, ``r0 = 0; exit``."""
    prog_type = draw(st.sampled_from(PROG_TYPES))
    p = _Prog(prog_type)
    p.emit("r6 = r1")
    names = [n for n in TEMPLATES if not (n in ("packet", "pkt_var") and prog_type not in PACKET_TYPES)
             and not (n == "ld_abs" and prog_type not in ("socket_filter", "sched_cls", "cgroup_skb")
                      and not _bug(draw, 10))
             and not (n == "tail_call" and prog_type == "cgroup_sock")]
    for _ in range(draw(st.integers(1, max_blocks))):
        draw(st.sampled_from([TEMPLATES[n] for n in names]))(draw, p)
    if prog_type == "socket_filter" and _bug(draw, 2):
        t_packet(draw, p)  # socket filters have no direct packet access
        p.tags.append("packet:socket_filter")
    ret = "r0 = 0" if prog_type != "xdp" else "r0 = 2"
    if prog_type in ("cgroup_skb", "cgroup_sock"):
        ret = draw(st.sampled_from(["r0 = 0", "r0 = 1"]))
    if _bug(draw, 4):  # out of the type's return range, unknown, or a pointer
        ret = draw(st.sampled_from(["r0 = 2", "r0 = -1", "r0 = r10", "r0 = r6",
                                    "call bpf_get_prandom_u32", "r0 = 3\nr0 &= 1"]))
        p.tags.append("return:odd")
    p.emit(*ret.split("\n"), "exit")
    lines = p.maps + [ln for ln in p.body if ln] + p.subs
    return GenCase(prog_type, "\n".join(lines) + "\n", tuple(p.tags))
