# type: socket_filter
# expect: accept
# about: signed 64-bit division (cpu v4)
r0 = -7
r0 s/= 2
exit
