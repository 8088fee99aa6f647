# type: socket_filter
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=1000 size=4
# about: offset 1000 is past the end of __sk_buff
r0 = *(u32 *)(r1 + 1000)
exit
