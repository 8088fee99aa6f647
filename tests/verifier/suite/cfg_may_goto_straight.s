# type: socket_filter
# expect: accept
# about: a single may_goto on a straight path
r0 = 0
may_goto +1
r0 = 1
exit
