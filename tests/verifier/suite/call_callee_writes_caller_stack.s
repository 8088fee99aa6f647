# type: socket_filter
# expect: accept
# about: a subprogram writes through a pointer to the caller's stack
r1 = r10
r1 += -8
call f
r0 = *(u64 *)(r10 - 8)
exit
f:
*(u64 *)(r1 + 0) = 42
r0 = 0
exit
