# type: xdp
# attach: xdp_devmap
# expect: accept
# about: a devmap XDP program may read egress_ifindex
r0 = *(u32 *)(r1 + 20)
r0 = 2
exit
