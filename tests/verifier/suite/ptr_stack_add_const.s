# type: socket_filter
# expect: accept
# about: adding negative and positive constants to a stack pointer
r1 = r10
r1 += -16
r1 += -8
*(u64 *)(r1 + 0) = 1
r1 += 8
r0 = *(u64 *)(r1 + 0)
exit
