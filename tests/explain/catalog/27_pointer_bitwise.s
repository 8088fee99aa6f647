// message: ptr_bitwise
// kind: program
// type: socket_filter
// hint: adding and subtracting
r0 = r10
r0 &= -8 // FAIL // bad
r0 += -8 // fix
r0 = 0
exit
