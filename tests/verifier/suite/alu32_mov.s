# type: socket_filter
# expect: accept
# about: 32-bit moves of immediates and registers
w1 = -1
w2 = w1
w3 = 0x7fffffff
w0 = w3
w0 += w2
exit
