# type: socket_filter
# expect: accept
# about: a 32-bit move of a pointer makes a scalar; root may do it
w0 = w10
r0 = 0
exit
