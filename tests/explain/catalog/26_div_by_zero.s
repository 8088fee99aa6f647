// message: div_by_zero
// kind: program
// type: socket_filter
// hint: non-zero
r0 = 10
r0 /= 0 // FAIL // bad
r0 /= 2 // fix
exit
