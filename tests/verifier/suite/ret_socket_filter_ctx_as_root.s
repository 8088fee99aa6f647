# type: socket_filter
# expect: accept
# about: root may return a pointer from a socket filter
r0 = r1
exit
