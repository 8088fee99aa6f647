"""Random C programs in the shapes of the C verifier corpus, for fuzz/c_vs_kernel.py.

`generate(rng, index)` returns one `GenProgram`: a ``SEC()`` function (plus the maps
it needs) built from *blocks*, each a few statements of one shape with random
parameters: map lookups with or without a NULL check, stack buffers indexed with
masks of random width, loops with constant or data-dependent bounds, XDP packet
parsing with correct / short / missing ``data_end`` checks and variable header
lengths, pointer arithmetic into map values, helper calls with sizes right and
wrong, ring buffer reserve/submit/discard/leak, static subprograms. About one block
in three is drawn with a parameter that makes it wrong (an index past a buffer, a
check that is one byte short...), so both verdicts appear.

Blocks are independent, so a program can be minimised by dropping blocks
(`GenProgram.without`). Names carry the program's index, so many programs share one
object file.

>>> import random
>>> p = generate(random.Random(1), 0)
>>> p.name, p.source().count("SEC(") >= 1
('f0', True)
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

#: program types a block may be used in
TRACE, XDP, TC = "tp/syscalls/sys_enter_getpid", "xdp", "tc"
BTF, RAW = "tp_btf/sched_switch", "raw_tp/sched_switch"
#: sections whose context is the tracepoint's arguments as u64s (prev at 1, next at 2)
_ARGS = (BTF, RAW)


@dataclass(frozen=True)
class Block:
    """Statements of one shape; ``decls`` go before the function (maps, subprograms)."""

    shape: str
    body: str
    decls: str = ""


@dataclass(frozen=True)
class GenProgram:
    """One generated program: its section, blocks and return expression."""

    index: int
    section: str
    blocks: tuple[Block, ...]
    ret: str = "0"
    shapes: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return f"f{self.index}"

    @property
    def ctx_type(self) -> str:
        return {XDP: "struct xdp_md", TC: "struct __sk_buff", BTF: "u64",
                RAW: "u64"}.get(self.section, "void")

    def source(self) -> str:
        """The program's declarations and function (no includes)."""
        decls = "".join(b.decls for b in self.blocks)
        body = "".join(b.body for b in self.blocks)
        return (f"{decls}SEC(\"{self.section}\")\nint {self.name}({self.ctx_type} *ctx)\n{{\n"
                f"\tu64 acc = 0;\n{body}\treturn {self.ret};\n}}\n\n")

    def without(self, i: int) -> GenProgram:
        """The program minus block ``i`` (for minimisation)."""
        return replace(self, blocks=self.blocks[:i] + self.blocks[i + 1:])


HEADER = '#include "corpus.h"\n\nchar LICENSE[] SEC("license") = "GPL";\n\n'


def object_source(programs: list[GenProgram]) -> str:
    """A C file holding ``programs`` (each a SEC function of its own)."""
    return HEADER + "".join(p.source() for p in programs)


# -- blocks -------------------------------------------------------------------------------
def _pow2(rng: random.Random, lo: int, hi: int) -> int:
    return 1 << rng.randint(lo, hi)


def blk_map_lookup(rng: random.Random, n: str, wrong: bool) -> Block:
    vsize = rng.choice([8, 16, 24, 64])
    kind = rng.choice(["HASH", "ARRAY", "PERCPU_ARRAY", "LRU_HASH"])
    off = rng.randrange(0, vsize // 8) * 8
    if wrong and rng.random() < 0.5:
        off = vsize  # one past the value
    check = not (wrong and off < vsize)
    decls = (f"struct {{\n\t__uint(type, BPF_MAP_TYPE_{kind});\n\t__uint(max_entries, "
             f"{rng.choice([1, 4, 64])});\n\t__type(key, u32);\n\t__type(value, char[{vsize}]);\n}}"
             f" m_{n} SEC(\".maps\");\n\n")
    key = rng.choice(["0", "1", "(u32)bpf_get_prandom_u32()", "(u32)bpf_ktime_get_ns() & 3"])
    body = f"\t{{\n\t\tu32 k_{n} = {key};\n\t\tchar *v_{n} = bpf_map_lookup_elem(&m_{n}, &k_{n});\n"
    if check:
        body += f"\t\tif (v_{n})\n\t"
    op = rng.choice(["read", "write", "atomic"])
    if op == "read":
        body += f"\t\tacc += *(u64 *)(v_{n} + {off});\n"
    elif op == "write":
        body += f"\t\t*(u64 *)(v_{n} + {off}) = acc;\n"
    else:
        body += f"\t\t__sync_fetch_and_add((u64 *)(v_{n} + {off}), 1);\n"
    return Block("map_lookup", body + "\t}\n", decls)


def blk_stack_index(rng: random.Random, n: str, wrong: bool) -> Block:
    elem, width = rng.choice([("u8", 1), ("u32", 4), ("u64", 8)])
    count = max(_pow2(rng, 3, 7) // width, 2)
    uninit = wrong and rng.random() < 0.4
    mask = count * 2 - 1 if wrong and not uninit else count - 1
    src = rng.choice(["bpf_get_prandom_u32()", "(u32)bpf_ktime_get_ns()", "acc"])
    body = (f"\t{{\n\t\t{elem} b_{n}[{count}]{'' if uninit else ' = {}'};\n"
            f"\t\tu32 i_{n} = {src} & {mask};\n")
    if rng.random() < 0.5:
        body += f"\t\tb_{n}[i_{n}] = 1;\n\t\tacc += b_{n}[0];\n"
    else:
        body += f"\t\tacc += b_{n}[i_{n}];\n"
    return Block("stack_index", body + "\t}\n")


def blk_loop(rng: random.Random, n: str, wrong: bool) -> Block:
    count = rng.choice([4, 16, 64, 100, 255])
    kind = rng.choice(["const", "masked", "break", "nested"])
    if kind == "const":
        body = f"\tfor (int i_{n} = 0; i_{n} < {count}; i_{n}++)\n\t\tacc = acc * 3 + i_{n};\n"
    elif kind == "masked":
        bound = "(u32)bpf_get_prandom_u32()" if wrong else f"(bpf_get_prandom_u32() & {count})"
        body = (f"\t{{\n\t\tu32 n_{n} = {bound};\n\t\tfor (u32 i_{n} = 0; i_{n} < n_{n} && i_{n} < "
                f"{count if not wrong else 100000}; i_{n}++)\n\t\t\tacc = (acc << 1) ^ i_{n};\n\t}}\n")
    elif kind == "break":
        body = (f"\tfor (int i_{n} = 0; i_{n} < {count}; i_{n}++) {{\n\t\tif ((acc ^ i_{n}) == "
                f"{rng.randint(0, 9)})\n\t\t\tbreak;\n\t\tacc += i_{n};\n\t}}\n")
    else:
        inner = rng.choice([2, 4, 8])
        body = (f"\tfor (int i_{n} = 0; i_{n} < {count // 8 + 1}; i_{n}++)\n\t\tfor (int j_{n} = 0; "
                f"j_{n} < {inner}; j_{n}++)\n\t\t\tacc = (acc << 1) ^ (i_{n} * j_{n});\n")
    return Block("loop", body)


def blk_stack_loop(rng: random.Random, n: str, wrong: bool) -> Block:
    size = rng.choice([8, 16, 32, 64])
    end = size + (rng.choice([1, 4, 8]) if wrong else 0)
    body = (f"\t{{\n\t\tu8 s_{n}[{size}] = {{}};\n\t\tfor (int i_{n} = 0; i_{n} < {end}; i_{n}++)\n"
            f"\t\t\ts_{n}[i_{n}] = i_{n};\n\t\tacc += s_{n}[{rng.randrange(size)}];\n\t}}\n")
    return Block("stack_loop", body)


def blk_helper_size(rng: random.Random, n: str, wrong: bool) -> Block:
    size = rng.choice([8, 16, 32, 64])
    helper = rng.choice(["comm", "probe_kernel", "probe_user_str", "prandom_bytes"])
    if wrong:
        arg = rng.choice([str(size + 8), "(u32)bpf_get_prandom_u32()", "0"])
    else:
        arg = rng.choice([str(size), f"(bpf_get_prandom_u32() & {size - 1}) + 1"])
    call = {
        "comm": f"bpf_get_current_comm(h_{n}, {arg})",
        "probe_kernel": f"bpf_probe_read_kernel(h_{n}, {arg}, (void *)bpf_get_current_task())",
        "probe_user_str": f"bpf_probe_read_user_str(h_{n}, {arg}, (void *)acc)",
        "prandom_bytes": f"bpf_probe_read_kernel(h_{n}, {arg}, &h_{n}[0])",
    }[helper]
    body = f"\t{{\n\t\tchar h_{n}[{size}] = {{}};\n\t\t{call};\n\t\tacc += h_{n}[{size - 1}];\n\t}}\n"
    return Block("helper_size", body)


def blk_ptr_arith(rng: random.Random, n: str, wrong: bool) -> Block:
    vsize = rng.choice([16, 64, 256])
    width = rng.choice([1, 2, 4, 8])
    # a mask keeping offset + width inside the value, or one that reaches past it
    mask = (vsize // 2 - 1) if not wrong else (vsize * 2 - 1)
    decls = (f"struct {{\n\t__uint(type, BPF_MAP_TYPE_ARRAY);\n\t__uint(max_entries, 1);\n\t"
             f"__type(key, u32);\n\t__type(value, char[{vsize}]);\n}} pa_{n} SEC(\".maps\");\n\n")
    ty = {1: "u8", 2: "u16", 4: "u32", 8: "u64"}[width]
    body = (f"\t{{\n\t\tu32 z_{n} = 0;\n\t\tchar *p_{n} = bpf_map_lookup_elem(&pa_{n}, &z_{n});\n"
            f"\t\tif (p_{n}) {{\n\t\t\tu32 o_{n} = (u32)bpf_get_prandom_u32() & {mask};\n"
            f"\t\t\tacc += *({ty} *)(p_{n} + o_{n});\n\t\t}}\n\t}}\n")
    return Block("ptr_arith", body, decls)


def blk_ringbuf(rng: random.Random, n: str, wrong: bool) -> Block:
    size = rng.choice([8, 16, 64])
    end = rng.choice(["submit", "discard"]) if not wrong else rng.choice(["leak", "twice", "oob"])
    decls = (f"struct {{\n\t__uint(type, BPF_MAP_TYPE_RINGBUF);\n\t__uint(max_entries, 4096);\n}}"
             f" rb_{n} SEC(\".maps\");\n\n")
    off = size if end == "oob" else size - 8
    body = (f"\t{{\n\t\tchar *r_{n} = bpf_ringbuf_reserve(&rb_{n}, {size}, 0);\n\t\tif (r_{n}) {{\n"
            f"\t\t\t*(u64 *)(r_{n} + {off}) = acc;\n")
    if end in ("submit", "oob"):
        body += f"\t\t\tbpf_ringbuf_submit(r_{n}, 0);\n"
    elif end == "discard":
        body += f"\t\t\tbpf_ringbuf_discard(r_{n}, 0);\n"
    elif end == "twice":
        body += f"\t\t\tbpf_ringbuf_submit(r_{n}, 0);\n\t\t\tbpf_ringbuf_discard(r_{n}, 0);\n"
    return Block("ringbuf", body + "\t\t}\n\t}\n", decls)


def blk_subprog(rng: random.Random, n: str, wrong: bool) -> Block:
    size = rng.choice([4, 8, 16])
    reach = size + (2 if wrong else 0)
    decls = (f"static __noinline u64 sub_{n}(u64 *a, int n)\n{{\n\tu64 s = 0;\n\tfor (int i = 0; "
             f"i < n && i < {reach}; i++)\n\t\ts += a[i];\n\treturn s;\n}}\n\n")
    body = (f"\t{{\n\t\tu64 a_{n}[{size}] = {{}};\n\t\tacc += sub_{n}(a_{n}, {reach});\n\t}}\n")
    return Block("subprog", body, decls)


def blk_packet(rng: random.Random, n: str, wrong: bool) -> Block:
    """XDP/tc only: ethernet + IPv4 with a variable header length, then L4."""
    short = rng.choice([0, 1, 2, 4]) if wrong else 0
    missing = wrong and rng.random() < 0.3
    body = (f"\t{{\n\t\tvoid *d_{n} = (void *)(long)ctx->data;\n\t\tvoid *e_{n} = (void *)(long)"
            f"ctx->data_end;\n\t\tstruct ethhdr *eth_{n} = d_{n};\n\t\tstruct iphdr *ip_{n} = "
            f"(void *)(eth_{n} + 1);\n\t\tif ((void *)(ip_{n} + 1) > e_{n})\n\t\t\treturn 0;\n"
            f"\t\tu32 hl_{n} = ip_{n}->ihl * 4;\n")
    if rng.random() < 0.5:
        body += f"\t\tif (hl_{n} < 20 || hl_{n} > 60)\n\t\t\treturn 0;\n"
    body += f"\t\tstruct udphdr *u_{n} = (void *)ip_{n} + hl_{n};\n"
    if not missing:
        body += f"\t\tif ((void *)u_{n} + sizeof(*u_{n}) - {short} > e_{n})\n\t\t\treturn 0;\n"
    body += f"\t\tacc += u_{n}->{rng.choice(['source', 'dest', 'len', 'check'])};\n\t}}\n"
    return Block("packet", body)


def blk_packet_loop(rng: random.Random, n: str, wrong: bool) -> Block:
    """XDP/tc only: a bounded byte walk over the packet, each byte checked."""
    count = rng.choice([4, 8, 16, 32])
    check = "" if wrong else f"\t\t\tif ((void *)(q_{n} + 1) > e_{n})\n\t\t\t\tbreak;\n"
    body = (f"\t{{\n\t\tu8 *q_{n} = (void *)(long)ctx->data;\n\t\tvoid *e_{n} = (void *)(long)"
            f"ctx->data_end;\n\t\tfor (int i_{n} = 0; i_{n} < {count}; i_{n}++) {{\n{check}"
            f"\t\t\tacc += *q_{n};\n\t\t\tq_{n}++;\n\t\t}}\n\t}}\n")
    return Block("packet_loop", body)


def blk_btf_walk(rng: random.Random, n: str, wrong: bool) -> Block:
    """tp_btf only: BTF-typed task pointers read directly, parent chains, NULL checks."""
    chain = rng.choice(["pid", "tgid", "real_parent->tgid", "real_parent->real_parent->pid",
                        "mm->map_count", "cred->uid.val", "nsproxy->pid_ns_for_children->level"])
    who = rng.choice(["1", "2"])
    body = f"\t{{\n\t\tstruct task_struct *t_{n} = (struct task_struct *)ctx[{who}];\n"
    if wrong and rng.random() < 0.5:
        body += f"\t\tt_{n}->{rng.choice(['pid', 'prio'])} = 0;\n"
    elif rng.random() < 0.5:
        body += f"\t\tif (t_{n}->{chain.split('->')[0]})\n\t\t\tacc += t_{n}->{chain};\n"
    else:
        body += f"\t\tacc += t_{n}->{chain};\n"
    return Block("btf_walk", body + "\t}\n")


def blk_core_read(rng: random.Random, n: str, wrong: bool) -> Block:
    """raw_tp only: arguments are plain numbers, read through CO-RE probe reads."""
    chain = rng.choice(["pid", "real_parent, tgid", "mm, map_count", "real_parent, real_parent, pid",
                        "signal, nr_threads"])
    body = f"\t{{\n\t\tstruct task_struct *t_{n} = (struct task_struct *)ctx[2];\n"
    if wrong:
        body += f"\t\tacc += t_{n}->{chain.split(', ')[0].replace('real_parent', 'pid')};\n"
    else:
        body += f"\t\tacc += BPF_CORE_READ(t_{n}, {chain});\n"
    return Block("core_read", body + "\t}\n")


def blk_kfunc_task(rng: random.Random, n: str, wrong: bool) -> Block:
    """tp_btf only: task references from kfuncs, released or leaked."""
    get = rng.choice(["bpf_task_acquire((struct task_struct *)ctx[2])",
                      "bpf_task_from_pid(1)"])
    body = f"\t{{\n\t\tstruct task_struct *k_{n} = {get};\n"
    if wrong and rng.random() < 0.5:
        body += f"\t\tif (k_{n})\n\t\t\tacc += k_{n}->pid;\n"  # leaked
    elif wrong:
        body += f"\t\tacc += k_{n}->pid;\n\t\tbpf_task_release(k_{n});\n"  # no NULL check
    else:
        body += f"\t\tif (k_{n}) {{\n\t\t\tacc += k_{n}->pid;\n\t\t\tbpf_task_release(k_{n});\n\t\t}}\n"
    return Block("kfunc_task", body + "\t}\n")


def blk_global_func(rng: random.Random, n: str, wrong: bool) -> Block:
    """A global (verified-alone) function taking a pointer that may be NULL."""
    size = rng.choice([8, 16, 32])
    check = "" if wrong else "\tif (!p)\n\t\treturn 0;\n"
    reach = size // 8 + (1 if wrong and rng.random() < 0.5 else 0)
    decls = (f"__noinline_ u64 g_{n}(u64 *p)\n{{\n{check}\tu64 s = 0;\n\tfor (int i = 0; i < "
             f"{reach}; i++)\n\t\ts += p[i];\n\treturn s;\n}}\n\n")
    body = f"\t{{\n\t\tu64 a_{n}[{size // 8}] = {{}};\n\t\tacc += g_{n}(a_{n});\n\t}}\n"
    return Block("global_func", body, decls)


def blk_bpf_loop(rng: random.Random, n: str, wrong: bool) -> Block:
    """bpf_loop with a callback writing into a context struct on the caller's stack."""
    size = rng.choice([4, 8, 16])
    index = f"i & {size - 1}" if not wrong else rng.choice(["i", f"i & {size * 2 - 1}"])
    ret = "0" if not (wrong and rng.random() < 0.3) else "2"
    decls = (f"static int cb_{n}(u32 i, u64 *c)\n{{\n\tc[{index}] += i;\n\treturn {ret};\n}}\n\n")
    body = (f"\t{{\n\t\tu64 c_{n}[{size}] = {{}};\n\t\tbpf_loop({rng.choice([4, 16, 100])}, cb_{n}, "
            f"c_{n}, 0);\n\t\tacc += c_{n}[0];\n\t}}\n")
    return Block("bpf_loop", body, decls)


COMMON = (blk_map_lookup, blk_stack_index, blk_loop, blk_stack_loop, blk_helper_size,
          blk_ptr_arith, blk_ringbuf, blk_subprog, blk_global_func, blk_bpf_loop)
PACKET = (blk_packet, blk_packet_loop)
_TRACE_ONLY = {"blk_helper_size"}  # probe reads and comm are tracing helpers


def generate(rng: random.Random, index: int) -> GenProgram:
    """One random program (deterministic in ``rng``'s state)."""
    section = rng.choice([TRACE, TRACE, XDP, TC, BTF, RAW])
    pool = list(COMMON)
    if section in (XDP, TC):
        pool = [f for f in pool if f.__name__ not in _TRACE_ONLY] + list(PACKET)
    elif section == BTF:
        pool += [blk_btf_walk, blk_btf_walk, blk_kfunc_task]
    elif section == RAW:
        pool += [blk_core_read, blk_core_read]
    blocks = []
    for b in range(rng.randint(1, 3)):
        gen = rng.choice(pool)
        wrong = rng.random() < 0.3
        blocks.append(gen(rng, f"{index}_{b}", wrong))
    # the return value depends on acc so that clang keeps every block
    if section in (TRACE, BTF, RAW):
        ret = rng.choice(["acc & 1", "(int)acc", "acc != 0"])
    elif section == XDP:
        ret = "(acc & 1) + 1" if rng.random() < 0.95 else "acc"
    else:
        ret = "acc & 1" if rng.random() < 0.95 else "(int)acc"
    return GenProgram(index, section, tuple(blocks), ret, tuple(b.shape for b in blocks))
