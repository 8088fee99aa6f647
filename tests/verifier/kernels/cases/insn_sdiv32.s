# type: socket_filter
# expect: accept
# about: signed 32-bit division (cpu v4)
w0 = -7
w0 s/= 2
exit
