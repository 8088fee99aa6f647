# type: socket_filter
# expect: accept
# about: subtracting two stack pointers gives a scalar; allowed for root
r1 = r10
r2 = r10
r2 += -8
r1 -= r2
r0 = r1
exit
