# type: socket_filter
# expect: accept
# about: a 4-byte fill of a spilled scalar is allowed
r1 = 0x12345678
*(u64 *)(r10 - 8) = r1
r0 = *(u32 *)(r10 - 8)
exit
