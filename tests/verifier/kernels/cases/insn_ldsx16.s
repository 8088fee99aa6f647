# type: socket_filter
# expect: accept
# about: sign-extending 16-bit load from the stack (cpu v4)
*(u64 *)(r10 - 8) = 7
r0 = *(s16 *)(r10 - 8)
r0 = 0
exit
