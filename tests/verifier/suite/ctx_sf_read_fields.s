# type: socket_filter
# expect: accept
# about: a socket filter reads len, protocol, ifindex and hash
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 16)
r4 = *(u32 *)(r1 + 40)
r0 = *(u32 *)(r1 + 68)
r0 += r2
exit
