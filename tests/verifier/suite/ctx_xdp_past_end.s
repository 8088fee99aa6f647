# type: xdp
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=24 size=4
# about: offset 24 is past the end of xdp_md
r0 = *(u32 *)(r1 + 24)
r0 = 2
exit
