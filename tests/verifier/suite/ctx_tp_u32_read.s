# type: tracepoint
# expect: accept
# about: a 4-byte read of a tracepoint record field past the first word
r0 = *(u32 *)(r1 + 12)
r0 = 0
exit
