# type: socket_filter
# expect: accept
# about: a subprogram receives two arguments and returns their sum
r1 = 3
r2 = 4
call add
exit
add:
r0 = r1
r0 += r2
exit
