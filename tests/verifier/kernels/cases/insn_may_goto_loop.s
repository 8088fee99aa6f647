# type: socket_filter
# expect: accept
# about: an open loop bounded by may_goto (6.9+)
r0 = 0
l:
may_goto out
r0 += 1
goto l
out:
r0 = 0
exit
