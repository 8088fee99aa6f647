# type: socket_filter
# expect: accept
# about: an endless loop guarded by may_goto is accepted (the runtime bounds it)
r0 = 0
loop:
may_goto out
r0 += 1
goto loop
out:
exit
