# type: socket_filter
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=2 size=4
# about: a 4-byte read at offset 2 straddles two fields
r0 = *(u32 *)(r1 + 2)
exit
