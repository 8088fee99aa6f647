# type: raw_tracepoint
# expect: accept
# about: a 4-byte (narrow) read of a raw tracepoint argument is accepted
r0 = *(u32 *)(r1 + 0)
r0 = 0
exit
