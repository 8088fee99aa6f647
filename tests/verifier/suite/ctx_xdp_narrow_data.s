# type: xdp
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=0 size=2
# about: a 2-byte read of xdp_md.data
r0 = *(u16 *)(r1 + 0)
r0 = 2
exit
