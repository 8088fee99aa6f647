// message: invalid_shift
// kind: program
// type: socket_filter
// hint: 0-63
r0 = 1
r0 <<= 64 // FAIL // bad
r0 <<= 63 // fix
r0 = 0
exit
