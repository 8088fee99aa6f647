# type: socket_filter
# expect: accept
# about: negating a pointer turns it into a number; accepted for root
r1 = r10
r1 = -r1
r0 = 0
exit
