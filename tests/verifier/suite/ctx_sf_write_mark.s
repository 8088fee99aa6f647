# type: socket_filter
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=8 size=4
# about: a socket filter may not write __sk_buff.mark
r2 = 1
*(u32 *)(r1 + 8) = r2
r0 = 0
exit
