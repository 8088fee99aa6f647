# type: socket_filter
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=152 size=8
# about: socket filters may not read __sk_buff.tstamp
r0 = *(u64 *)(r1 + 152)
exit
