# type: socket_filter
# expect: accept
# about: division and modulo by a register holding 0 are allowed: the result is defined at run time
r0 = 100
w1 = 0
w0 /= w1
w0 %= w1
exit
