# type: xdp
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=0 size=4
# about: xdp_md.data cannot be written
r2 = 0
*(u32 *)(r1 + 0) = r2
r0 = 2
exit
