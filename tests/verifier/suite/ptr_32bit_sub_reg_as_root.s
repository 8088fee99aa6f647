# type: socket_filter
# expect: accept
# about: surprise: a 32-bit subtract of a register from the context pointer makes a number (root), while `w1 += w2` is refused
r2 = 4
w1 -= w2
r0 = 0
exit
