// message: infinite_loop
// kind: program
// type: socket_filter
// hint: counter
r0 = 0
r1 = 0
loop:
r1 += 1 // fix
if r1 < 8 goto loop // FAIL
exit
