// message: jump_out_of_range
// kind: program
// type: socket_filter
// hint: inside the program
r0 = 0
if r0 == 0 goto +5 // FAIL // bad
if r0 == 0 goto +0 // fix
exit
