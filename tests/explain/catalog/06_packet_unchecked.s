// message: packet_access
// kind: program
// type: xdp
// hint: data_end
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2 // fix
r4 += 14 // fix
if r4 > r3 goto out // fix
r0 = *(u16 *)(r2 + 12) // FAIL
out:
r0 = 2
exit
