# type: socket_filter
# expect: accept
# about: 64-bit moves of immediates and registers
r1 = -1
r2 = r1
r3 = 0x7fffffff
r0 = r3
r0 += r2
exit
