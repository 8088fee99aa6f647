# type: xdp
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=20 size=4
# about: egress_ifindex needs a devmap XDP program
r0 = *(u32 *)(r1 + 20)
r0 = 2
exit
