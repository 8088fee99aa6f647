// message: ctx_access
// kind: program
// type: socket_filter
// hint: offsets
r0 = *(u32 *)(r1 + 1000) // FAIL // bad
r0 = *(u32 *)(r1 + 0) // fix
exit
