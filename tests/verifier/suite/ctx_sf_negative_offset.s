# type: socket_filter
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=-4 size=4
# about: a read before the start of the context
r0 = *(u32 *)(r1 - 4)
exit
