// message: stack_misaligned
// kind: program
// type: socket_filter
// hint: align stack accesses
r1 = *(u32 *)(r1 + 0)
*(u64 *)(r10 - 16) = 0
*(u32 *)(r10 - 15) = r1 // FAIL // bad
*(u32 *)(r10 - 12) = r1 // fix
r0 = 0
exit
