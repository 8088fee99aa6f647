// message: "dereference of modified ctx ptr R%d off=%d disallowed"
// kind: program
// type: socket_filter
// hint: original pointer
r1 += 48 // bad
r0 = *(u32 *)(r1 + 0) // FAIL // bad
r0 = *(u32 *)(r1 + 48) // fix
exit
