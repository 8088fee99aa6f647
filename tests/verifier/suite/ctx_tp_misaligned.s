# type: tracepoint
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=4 size=8
# about: a misaligned 8-byte read of the tracepoint record
r0 = *(u64 *)(r1 + 4)
r0 = 0
exit
