# type: socket_filter
# expect: accept
# about: signed 64-bit modulo (cpu v4)
r0 = -7
r0 s%= 2
exit
