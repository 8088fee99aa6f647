# type: socket_filter
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=76 size=4
# about: socket filters have no direct packet access: __sk_buff.data is not readable
r0 = *(u32 *)(r1 + 76)
exit
