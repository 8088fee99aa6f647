// message: fp_read_only
// kind: program
// type: socket_filter
// hint: r1 = r10
r10 += -8 // FAIL // bad
r1 = r10 // fix
r1 += -8 // fix
r0 = 0
exit
