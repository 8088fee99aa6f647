# type: socket_filter
# expect: accept
# about: 2-byte stores and loads at aligned offsets, including the frame's lowest slot
*(u16 *)(r10 - 8) = 1
r1 = 7
*(u16 *)(r10 - 510) = r1
r0 = *(u16 *)(r10 - 8)
r1 = *(u16 *)(r10 - 510)
r0 += r1
exit
