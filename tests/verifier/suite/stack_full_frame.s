# type: socket_filter
# expect: accept
# about: the whole 512-byte frame is usable
*(u64 *)(r10 - 512) = 1
*(u64 *)(r10 - 256) = 2
*(u64 *)(r10 - 8) = 3
r0 = *(u64 *)(r10 - 512)
exit
