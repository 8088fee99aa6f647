# type: socket_filter
# expect: accept
# about: a copy of the frame pointer may be changed freely
r1 = r10
r1 += -8
*(u64 *)(r1 + 0) = 1
r0 = *(u64 *)(r1 + 0)
exit
