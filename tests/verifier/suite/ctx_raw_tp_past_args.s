# type: raw_tracepoint
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=96 size=8
# about: there are at most 12 arguments: offset 96 is past them
r0 = *(u64 *)(r1 + 96)
r0 = 0
exit
