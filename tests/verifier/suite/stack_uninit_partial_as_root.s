# type: socket_filter
# expect: accept
# about: reading 8 bytes of which 4 were written is allowed for privileged programs
*(u32 *)(r10 - 8) = 1
r0 = *(u64 *)(r10 - 8)
exit
