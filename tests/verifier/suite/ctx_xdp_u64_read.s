# type: xdp
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=0 size=8
# about: an 8-byte read of xdp_md.data
r0 = *(u64 *)(r1 + 0)
r0 = 2
exit
