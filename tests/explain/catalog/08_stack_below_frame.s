// message: stack_bounds
// kind: program
// type: socket_filter
// hint: -512
*(u64 *)(r10 - 520) = 0 // FAIL // bad
*(u64 *)(r10 - 512) = 0 // fix
r0 = 0
exit
