# type: socket_filter
# expect: accept
# about: a 32-bit scalar spill and fill at a 4-aligned offset
w1 = 5
*(u32 *)(r10 - 4) = w1
r0 = *(u32 *)(r10 - 4)
exit
