# type: tracepoint
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=0 size=8
# about: the first 8 bytes of the tracepoint context are off limits
r0 = *(u64 *)(r1 + 0)
r0 = 0
exit
