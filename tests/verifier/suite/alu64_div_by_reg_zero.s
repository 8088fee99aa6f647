# type: socket_filter
# expect: accept
# about: division and modulo by a register holding 0 are allowed: the result is defined at run time
r0 = 100
r1 = 0
r0 /= r1
r0 %= r1
exit
