# type: socket_filter
# expect: accept
# about: an atomic add on an initialised stack slot
*(u64 *)(r10 - 8) = 0
r1 = 1
lock *(u64 *)(r10 - 8) += r1
r0 = *(u64 *)(r10 - 8)
exit
