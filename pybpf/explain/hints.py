"""Fix hints in the user's language: C for objects built from C, Python for DSL probes,
assembly for text.

A hint is chosen by the rejection's error class, refined by the helper involved (a size
that must be a constant for ``bpf_ringbuf_reserve`` is fixed differently from a size that
must be bounded for ``bpf_probe_read_kernel``) and by the kind of problem (a bound clang
lost on a copy is fixed with a barrier, not with another check). ``{reg}``, ``{helper}``,
``{size}``... are filled in from the rejection.

>>> hint_for("null_deref", "c", reg=0)
'check the pointer before using it: `if (!p) return 0;` right after the call that returned it, and use only `p` (not a copy made before the check).'
>>> hint_for("helper_arg_size", "c", helper="bpf_ringbuf_reserve")[:46]
'bpf_ringbuf_reserve needs a constant size: res'
"""
from __future__ import annotations

from typing import Any

#: error class -> language -> hint
HINTS: dict[str, dict[str, str]] = {
    "null_deref": {
        "c": "check the pointer before using it: `if (!p) return 0;` right after the call that "
             "returned it, and use only `p` (not a copy made before the check).",
        "python": "check the result first: `p = m.lookup(k)` then `if p is None: return 0`.",
        "asm": "test it first: `if r{reg} == 0 goto <out>` and dereference only on the "
               "non-NULL side."},
    "uninit_register": {
        "c": "give the variable a value on every path before it is used (and do not keep values "
             "in R1-R5 across a helper call: reload them after the call).",
        "python": "assign the variable on every path before it is used.",
        "asm": "write R{reg} before this instruction on every path (R1-R5 are clobbered by every "
               "call; reload them after it)."},
    "uninit_r0": {
        "c": "return a value on every path (`return 0;`).",
        "python": "return a value on every path (`return 0`).",
        "asm": "set r0 before every `exit` (`r0 = 0`)."},
    "scalar_deref": {
        "c": "read kernel memory with `bpf_probe_read_kernel(&dst, sizeof(dst), ptr)` (or "
             "BPF_CORE_READ), not by dereferencing a number.",
        "python": "read kernel memory through BTF (`task().field`) or probe_read_kernel().",
        "asm": "dereference only pointers the verifier tracks; copy kernel memory with "
               "`call bpf_probe_read_kernel`."},
    "bad_pointer_deref": {
        "c": "do not dereference this pointer: pass it to the helper that takes it.",
        "python": "pass the object to the helper that takes it instead of reading it.",
        "asm": "pass R{reg} to the helper that takes it instead of dereferencing it."},
    "map_value_oob": {
        "c": "keep the access inside the value: check the index against the array length "
             "(`if (i >= ARRAY_LEN) return 0;`) on the same variable you index with, and keep "
             "offset + size <= sizeof(value).",
        "python": "check the index against the array length before indexing (`if i >= N: return 0`).",
        "asm": "bound the index before adding it (`if r{reg} > N goto <out>` on the register you "
               "add), so that offset + size <= value_size."},
    "mem_oob": {
        "c": "keep offset + size within the size that was reserved or returned.",
        "python": "keep the access within the record's size.",
        "asm": "keep offset + size within the size that was reserved or returned."},
    "negative_index": {
        "c": "make the index unsigned (`__u32 i`) or check `if (i < 0) return 0;` on the variable "
             "you index with.",
        "python": "use an unsigned type for the index (u32) or check `if i < 0: return 0`.",
        "asm": "check `if r{reg} s< 0 goto <out>` on the register you add, or mask it "
               "(`r{reg} &= 0xff`)."},
    "unbounded_access": {
        "c": "check the index against the size before using it (`if (i >= N) return 0;`), on the "
             "same variable you index with.",
        "python": "check the index before using it (`if i >= N: return 0`).",
        "asm": "compare the index with the size before using it (`if r{reg} > N goto <out>`)."},
    "stack_oob": {
        "c": "pass a helper at most `sizeof(buf)` bytes of a stack buffer, and keep stack "
             "buffers small (the whole frame is 512 bytes): move big buffers to a per-CPU array "
             "map.",
        "python": "use a per-CPU array map for large buffers.",
        "asm": "use offsets between -512 and -1 from r10, with offset + size <= 0."},
    "stack_oob/helper": {
        "c": "pass a helper at most `sizeof(buf)` bytes of a stack buffer: bound the size by the "
             "buffer (`if (n > sizeof(buf)) n = sizeof(buf);`), not by a larger number.",
        "python": "pass a buffer as large as the size, or bound the size by the buffer's.",
        "asm": "bound the size register by the buffer's size before the call: "
               "`if r{size_reg} > N goto <out>` where N is the bytes the buffer has."},
    "stack_oob/variable": {
        "c": "keep the index inside the array: `i &= N - 1` (N a power of two) or "
             "`if (i >= N) return 0;` with N the array's length, before indexing.",
        "python": "check the index against the array length before indexing "
                  "(`if i >= N: return 0`).",
        "asm": "bound the offset register so that offset + size stays inside the buffer: "
               "`rX &= N - 1` or `if rX >= N goto <out>` before adding it to the stack pointer."},
    "stack_misaligned": {
        "c": "access stack variables through their own type (no casts of char buffers to wider "
             "types at odd offsets).",
        "python": "use typed locals instead of byte buffers.",
        "asm": "align stack accesses to their size (u64 at multiples of 8, u32 at 4...)."},
    "misaligned_access": {
        "c": "align the field the atomic operation works on (`__u64 x __attribute__((aligned(8)))`).",
        "python": "align the field the atomic works on.",
        "asm": "align the atomic's operand to its size."},
    "stack_uninit_read": {
        "c": "initialise the variable before passing it or reading it: `__u32 key = 0;` or "
             "`__builtin_memset(&buf, 0, sizeof(buf));`.",
        "python": "give the local a value before it is used.",
        "asm": "write the stack bytes before reading them (`*(u32 *)(r10 - 4) = 0`)."},
    "frame_pointer_write": {
        "c": "(compiler output does not do this) do not write r10.",
        "python": "(the DSL never writes r10)",
        "asm": "copy r10 (`r1 = r10`) and change the copy."},
    "ctx_access": {
        "c": "read context fields through the program type's own struct (e.g. `struct xdp_md`, "
             "`struct __sk_buff`) with their full size, or use BPF_CORE_READ/bpf_probe_read_kernel "
             "for other memory; check that SEC() names the program type you mean.",
        "python": "read context fields by name (`ctx.field`) instead of by offset.",
        "asm": "access context fields at their documented offsets with their full size; only a "
               "few fields are writable."},
    "ctx_modified": {
        "c": "read each context field through the context pointer itself (`skb->mark`), with a "
             "constant offset: clang turned a pointer into the context (`&skb->cb[i]`, a loop "
             "over fields, a choice between two fields) into a moved pointer; read the fields "
             "into variables first and pin them with `asm volatile(\"\" : \"+r\"(v));`, or "
             "unroll the loop.",
        "python": "read the context fields by name.",
        "asm": "access the context through the original pointer with a constant offset."},
    "packet_oob": {
        "c": "check the packet bounds before the access, on the pointer you use: "
             "`if ((void *)(hdr + 1) > data_end) return XDP_PASS;`.",
        "python": "read headers with `header(ctx, T, off)` and check `if h is None: return ...`.",
        "asm": "check it first: `r = data + off + size; if r > data_end goto <out>`, then "
               "access through the checked pointer."},
    "packet_write": {
        "c": "write packets from a type that may (tc, xdp) or use bpf_skb_store_bytes().",
        "python": "write packets from an xdp or tc probe.",
        "asm": "use a program type that may write packets (tc, xdp)."},
    "unbounded_pointer_math": {
        "c": "make the index unsigned (`__u32 i`: a signed `int` may be negative, and one made "
             "from a 64-bit value is sign-extended) and bound it before the arithmetic on the "
             "same variable: `if (i >= N) return 0;` or mask it (`i &= N - 1`).",
        "python": "bound the index before using it (`i = i & (N - 1)`).",
        "asm": "bound R{reg} first (`r{reg} &= 0xff` or a comparison) before the arithmetic."},
    "pointer_arith_prohibited": {
        "c": "do the arithmetic on a pointer type that allows it (map value, packet, stack); "
             "check a map lookup's result for NULL before moving the pointer.",
        "python": "check the lookup's result for None before using it.",
        "asm": "check the pointer for NULL before arithmetic, or use a type that allows it."},
    "map_readonly": {
        "c": "this map is read-only for the program (a `const volatile` global lives in .rodata, "
             "frozen at load): declare it without `const` (it then lives in .data) to change it "
             "from the program, or change it from user space before loading.",
        "python": "the map is read-only for the program: update it from user space.",
        "asm": "the map was created read-only for programs (BPF_F_RDONLY_PROG): create it "
               "without that flag, or only read it."},
    "pointer_bitwise": {
        "c": "do bitwise operations on integers, not pointers.",
        "python": "operate on integers, not pointers.",
        "asm": "pointers only allow adding and subtracting offsets."},
    "pointer_32bit": {
        "c": "keep pointers in 64-bit variables.",
        "python": "keep pointers in 64-bit variables.",
        "asm": "use 64-bit operations (r, not w) on pointers."},
    "pointer_leak": {
        "c": "do not store pointers in maps or return them; store numbers (ids, offsets) instead.",
        "python": "store numbers, not pointers.",
        "asm": "do not store pointers to maps or return them."},
    "div_by_zero": {
        "c": "divide by a non-zero value.",
        "python": "divide by a non-zero value.",
        "asm": "divide by a non-zero constant or a register."},
    "invalid_shift": {
        "c": "shift by less than the width of the type (0-63 for 64-bit, 0-31 for 32-bit).",
        "python": "shift by less than the width of the type.",
        "asm": "shift 64-bit registers by 0-63 and 32-bit ones by 0-31."},
    "helper_arg_type": {
        "c": "pass what the helper's prototype asks for (a map, a pointer to a stack variable, "
             "a size...): see `man bpf-helpers`.",
        "python": "pass the helper what it expects.",
        "asm": "check the helper's prototype: which register must hold a map, a stack pointer, "
               "a size..."},
    "helper_arg_size": {
        "c": "declare the size unsigned (`__u32 len`) and bound it on the variable you pass: "
             "`if (len > sizeof(buf)) len = sizeof(buf);` (or `len &= sizeof(buf) - 1`), and keep "
             "it > 0 when the helper reads.",
        "python": "bound the size before passing it (`n = n & (N - 1)`).",
        "asm": "bound the size register (`if r{reg} > N goto <out>`, or `r{reg} &= N - 1`) "
               "and keep it > 0."},
    "helper_mem_access": {
        "c": "pass a buffer at least as large as the size argument (use `sizeof(buf)`), "
             "initialised if the helper reads it.",
        "python": "pass a buffer as large as the size.",
        "asm": "pass a buffer at least as large as the size argument, initialised if the helper "
               "reads it."},
    "helper_map_mismatch": {
        "c": "use the helper that matches the map type (bpf_ringbuf_output for ring buffers, "
             "bpf_perf_event_output for perf arrays, bpf_tail_call with a prog array).",
        "python": "use the map's own method (events.output(e)).",
        "asm": "use the helper that matches the map type."},
    "unknown_helper": {
        "c": "this kernel does not have {helper}: use another helper or a newer kernel.",
        "python": "this kernel does not have {helper}.",
        "asm": "check the helper id and the kernel version."},
    "helper_not_allowed": {
        "c": "{helper} is not available to this program type: change SEC() to a type that "
             "allows it, or use another helper.",
        "python": "{helper} is not available to this probe type: attach elsewhere.",
        "asm": "{helper} is not available to this program type: load it as a type that allows it."},
    "license": {
        "c": "declare a GPL-compatible license: `char LICENSE[] SEC(\"license\") = \"GPL\";`.",
        "python": "load with license='GPL'.",
        "asm": "load with a GPL-compatible license."},
    "reference_leak": {
        "c": "release the reference on every path, including early returns: "
             "`bpf_ringbuf_submit(e, 0);` or `bpf_ringbuf_discard(e, 0);` before each `return`.",
        "python": "submit or discard the record on every path.",
        "asm": "call bpf_ringbuf_submit/discard (or the matching release) on every path after a "
               "successful acquire."},
    "release_invalid": {
        "c": "release exactly the pointer the acquiring helper returned, after its NULL check.",
        "python": "release the record you reserved.",
        "asm": "pass the exact pointer the acquiring helper returned (after its NULL check)."},
    "return_range": {
        "c": "return one of the values this hook accepts (e.g. `return 1;` to allow, `0` to "
             "deny for cgroup programs; XDP_PASS... for XDP).",
        "python": "return one of the values this hook accepts.",
        "asm": "set r0 to a value the hook accepts before `exit`."},
    "return_pointer": {
        "c": "return a number, not a pointer.",
        "python": "return a number.",
        "asm": "return a scalar in r0."},
    "unreachable_insn": {
        "c": "(compiler output has no dead code) remove it.",
        "python": "(the DSL drops dead code)",
        "asm": "remove the dead code at insn {insn} or fix the jump that should reach it."},
    "jump_out_of_range": {
        "c": "(compiler output does not do this)",
        "python": "(the DSL does not do this)",
        "asm": "jump to an instruction inside the program."},
    "jump_into_lddw": {
        "c": "(compiler output does not do this)",
        "python": "(the DSL does not do this)",
        "asm": "jump to the lddw itself or after it."},
    "missing_exit": {
        "c": "(compiler output does not do this)",
        "python": "(the DSL does not do this)",
        "asm": "end every path with `exit`."},
    "infinite_loop": {
        "c": "make the loop advance on every iteration and bound it: "
             "`for (int i = 0; i < N; i++)` with a constant N.",
        "python": "bound the loop: `for i in range(N)` with a constant N.",
        "asm": "make the loop counter change on every iteration and compare it with a constant."},
    "too_complex": {
        "c": "bound the loop with a small constant (`for (i = 0; i < 64 && i < n; i++)`) or use "
             "bpf_loop(); split long functions with `__noinline` subprograms.",
        "python": "bound the loop with a small constant: `for i in range(N)`.",
        "asm": "bound the loop counter with a constant compare, or use bpf_loop."},
    "too_many_jumps": {
        "c": "fewer branches that stay pending at once: bound the loop with a small constant, "
             "move the loop body into a `__noinline` function or use bpf_loop().",
        "python": "make the loop shorter.",
        "asm": "fewer undecided branches in a row: bound the loop or use bpf_loop."},
    "ld_abs_not_allowed": {
        "c": "read packet data through data/data_end pointers.",
        "python": "read headers with `header(ctx, T, off)`.",
        "asm": "read packet data through data/data_end pointers."},
    "invalid_insn": {
        "c": "(compiler output does not do this) rebuild with clang -target bpf.",
        "python": "(the DSL does not do this)",
        "asm": "check the encoding (reserved fields must be zero)."},
    "call_depth": {
        "c": "make big stack buffers per-CPU array map values, or mark small helpers "
             "`static __always_inline`.",
        "python": "use fewer or smaller locals.",
        "asm": "inline small functions or reduce stack use."},
    "missing_func_info": {
        "c": "compile with `clang -g` so the object carries BTF function info.",
        "python": "use a counted loop (`for i in range(N)`).",
        "asm": "write the program in C and compile with clang -g, or use a counted loop."},
    "core_relocation": {
        "c": "the running kernel lacks a field or type this CO-RE access names: guard it with "
             "`if (bpf_core_field_exists(p->field))` (or a ___flavor struct per kernel version) "
             "so the access is not reached on this kernel.",
        "python": "the running kernel lacks the field: read it only when it exists.",
        "asm": "the CO-RE relocation found no match: do not reach this access on this kernel."},
    "privileges": {
        "c": "load it with CAP_PERFMON (or as root), or use a program type an unprivileged "
             "loader may load (socket filters, cgroup_skb, xdp, tc with CAP_NET_ADMIN).",
        "python": "run the probe with CAP_PERFMON (or as root).",
        "asm": "load it with CAP_PERFMON, or as another program type."},
    "unsupported": {
        "c": "load it into the kernel to get its verdict (`pybpf load`).",
        "python": "load it into the kernel to get its verdict.",
        "asm": "load it into the kernel to get its verdict."},
}

#: (error class, helper) -> language -> hint: where the helper decides the fix
HELPER_HINTS: dict[tuple[str, str], dict[str, str]] = {
    ("helper_arg_size", "bpf_ringbuf_reserve"): {
        "c": "bpf_ringbuf_reserve needs a constant size: reserve the largest record "
             "(`bpf_ringbuf_reserve(&rb, sizeof(struct event), 0)`) and fill what you need, or "
             "copy a variable-size buffer with `bpf_ringbuf_output(&rb, buf, len, 0)` after "
             "bounding len.",
        "python": "use a fixed-size event struct with `events.output(e)`.",
        "asm": "pass a constant size in r2 (the largest record), or call bpf_ringbuf_output "
               "with a bounded size."},
    ("helper_arg_type", "bpf_ringbuf_reserve"): {
        "c": "bpf_ringbuf_reserve needs a constant size: reserve the largest record "
             "(`sizeof(struct event)`) or use `bpf_ringbuf_output(&rb, buf, len, 0)`.",
        "python": "use a fixed-size event struct with `events.output(e)`.",
        "asm": "pass a constant size in r2 (the largest record), or call bpf_ringbuf_output."},
    ("helper_mem_access", "bpf_map_lookup_elem"): {
        "c": "pass a pointer to a key variable of the map's key size (`__u32 key = 0;` "
             "`bpf_map_lookup_elem(&m, &key)`).",
        "python": "use a key of the map's key type.",
        "asm": "point r2 at key_size initialised stack bytes."},
    ("helper_mem_access", "bpf_map_update_elem"): {
        "c": "pass pointers to an initialised key and value of the map's sizes.",
        "python": "use a key and value of the map's types.",
        "asm": "point r2/r3 at initialised stack bytes of key_size/value_size."},
    ("stack_uninit_read", "bpf_map_lookup_elem"): {
        "c": "initialise the key before the lookup: `__u32 key = 0;` (or memset a struct key, "
             "padding included: `__builtin_memset(&key, 0, sizeof(key));`).",
        "python": "give the key a value before the lookup.",
        "asm": "write the key's stack bytes before the call (`*(u32 *)(r10 - 4) = 0`)."},
    ("stack_uninit_read", "bpf_map_update_elem"): {
        "c": "initialise the key and value before the update (memset a struct, padding "
             "included: `__builtin_memset(&v, 0, sizeof(v));`).",
        "python": "give the key and value a value before the update.",
        "asm": "write the key and value stack bytes before the call."},
}

#: kind of problem -> language -> extra advice placed before the class hint
KIND_HINTS: dict[str, dict[str, str]] = {
    "compiler": {
        "c": "the C is right but clang's code loses the fact the verifier needs: make the check "
             "and the use the same register. A 32-bit `int` made from a 64-bit field is checked "
             "on one sign-extended copy and used through another: keep it in a 64-bit variable "
             "(`__s64`/`__u64`, or `long`) so one register is checked and used; else re-check "
             "right before the use, clamp with `i &= N - 1`, or put "
             "`asm volatile(\"\" : \"+r\"(i));` after the check; ",
        "python": "",
        "asm": "check the register you use, not a copy of it; "},
}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def hint_for(cls: str | None, lang: str, *, helper: str | None = None, kind: str | None = None,
             **values: Any) -> str:
    """The fix hint for a rejection of class ``cls`` in ``lang`` (``c``, ``python``, ``asm``)."""
    table = HELPER_HINTS.get((cls or "", helper or "")) or HINTS.get(cls or "") \
        or HINTS["unsupported"]
    text = table.get(lang) or table["asm"]
    if kind in KIND_HINTS:
        text = KIND_HINTS[kind].get(lang, "") + text
    values.setdefault("helper", helper or "this helper")
    return text.format_map(_Blank({k: ("?" if v is None else v) for k, v in values.items()}))


def hints_for(cls: str | None, **kw: Any) -> dict[str, str]:
    """The hint in every language: ``{"c": ..., "python": ..., "asm": ...}``."""
    return {lang: hint_for(cls, lang, **kw) for lang in ("c", "python", "asm")}


__all__ = ["HELPER_HINTS", "HINTS", "KIND_HINTS", "hint_for", "hints_for"]
