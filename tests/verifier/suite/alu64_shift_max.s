# type: socket_filter
# expect: accept
# about: 64-bit shifts by 63, the largest allowed constant
r0 = 1
r0 <<= 63
r0 >>= 63
r0 s>>= 63
exit
