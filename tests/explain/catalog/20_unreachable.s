// message: unreachable
// kind: program
// type: socket_filter
// hint: dead code
r0 = 0
exit
r0 = 1 // FAIL // bad
exit // bad
