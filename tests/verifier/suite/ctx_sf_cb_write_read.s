# type: socket_filter
# expect: accept
# about: a socket filter may write and read the cb[] scratch area
r2 = 7
*(u32 *)(r1 + 48) = r2
r0 = *(u32 *)(r1 + 48)
exit
