# type: socket_filter
# expect: accept
# about: byte accesses need no alignment
*(u8 *)(r10 - 7) = 1
*(u8 *)(r10 - 1) = 2
r0 = *(u8 *)(r10 - 7)
exit
