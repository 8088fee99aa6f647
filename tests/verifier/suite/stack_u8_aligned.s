# type: socket_filter
# expect: accept
# about: 1-byte stores and loads at aligned offsets, including the frame's lowest slot
*(u8 *)(r10 - 8) = 1
r1 = 7
*(u8 *)(r10 - 511) = r1
r0 = *(u8 *)(r10 - 8)
r1 = *(u8 *)(r10 - 511)
r0 += r1
exit
