# type: socket_filter
# expect: accept
# about: 4-byte stores and loads at aligned offsets, including the frame's lowest slot
*(u32 *)(r10 - 8) = 1
r1 = 7
*(u32 *)(r10 - 508) = r1
r0 = *(u32 *)(r10 - 8)
r1 = *(u32 *)(r10 - 508)
r0 += r1
exit
