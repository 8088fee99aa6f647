# type: socket_filter
# expect: accept
# about: R1 holds the context at entry and R10 the frame pointer
r0 = r1
r0 = r10
r0 = 0
exit
