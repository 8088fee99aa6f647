# type: socket_filter
# expect: accept
# about: number + pointer (pointer in the source register) yields a pointer
r1 = -8
r1 += r10
*(u64 *)(r1 + 0) = 3
r0 = *(u64 *)(r10 - 8)
exit
