# type: socket_filter
# expect: accept
# about: 32-bit shifts by 31, the largest allowed constant
r0 = 1
w0 <<= 31
w0 >>= 31
w0 s>>= 31
exit
