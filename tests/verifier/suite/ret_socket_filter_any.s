# type: socket_filter
# expect: accept
# about: socket filters may return any number (bytes to keep)
r0 = -1
exit
