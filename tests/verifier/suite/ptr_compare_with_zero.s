# type: socket_filter
# expect: accept
# about: comparing the context pointer with 0
r0 = 0
if r1 != 0 goto +1
r0 = 1
exit
