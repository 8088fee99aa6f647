# type: raw_tracepoint
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=0 size=8
# about: raw tracepoint arguments are read-only
r2 = 0
*(u64 *)(r1 + 0) = r2
r0 = 0
exit
