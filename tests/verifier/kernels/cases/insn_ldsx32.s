# type: socket_filter
# expect: accept
# about: sign-extending 32-bit load from the stack (cpu v4)
*(u64 *)(r10 - 8) = 7
r0 = *(s32 *)(r10 - 8)
r0 = 0
exit
