# type: sk_lookup
# attach: sk_lookup
# expect: accept
# about: sk_lookup programs read family, protocol, local_port and remote_ip4
r2 = *(u32 *)(r1 + 8)
r3 = *(u32 *)(r1 + 12)
r4 = *(u32 *)(r1 + 60)
r5 = *(u32 *)(r1 + 16)
r0 = 1
exit
