# type: socket_filter
# expect: accept
# about: comparing two stack pointers is allowed for root
r1 = r10
r2 = r10
r2 += -8
r0 = 0
if r1 > r2 goto +1
r0 = 1
exit
