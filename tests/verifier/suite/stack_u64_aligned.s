# type: socket_filter
# expect: accept
# about: 8-byte stores and loads at aligned offsets, including the frame's lowest slot
*(u64 *)(r10 - 8) = 1
r1 = 7
*(u64 *)(r10 - 512) = r1
r0 = *(u64 *)(r10 - 8)
r1 = *(u64 *)(r10 - 512)
r0 += r1
exit
