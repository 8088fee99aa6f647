# type: tracepoint
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=8 size=8
# about: a tracepoint record is read-only
r2 = 0
*(u64 *)(r1 + 8) = r2
r0 = 0
exit
