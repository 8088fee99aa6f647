# type: socket_filter
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=0 size=8
# about: an 8-byte read of the 4-byte len field
r0 = *(u64 *)(r1 + 0)
exit
