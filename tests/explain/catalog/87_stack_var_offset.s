// message: "invalid variable-offset%s stack R%d var_off=%s off=%d size=%d"
// kind: program
// type: socket_filter
// hint: rX &= N - 1
*(u64 *)(r10 - 8) = 0
*(u64 *)(r10 - 16) = 0
r2 = *(u32 *)(r1 + 0)
r2 >>= 6
r2 &= 31 // ROOT // bad
r2 &= 15 // fix
r3 = r10
r3 += -16
r3 += r2
r1 = *(u8 *)(r3 + 0) // FAIL
r1 += 1
*(u8 *)(r3 + 0) = r1
r0 = *(u64 *)(r10 - 16)
exit
