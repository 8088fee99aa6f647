# type: socket_filter
# expect: accept
# about: signed 32-bit modulo (cpu v4)
w0 = -7
w0 s%= 2
exit
