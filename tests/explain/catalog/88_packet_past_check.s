// message: packet_access
// kind: program
// type: xdp
// hint: if r > data_end
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14 // bad
r4 += 34 // fix
if r4 > r3 goto pass // ROOT
r0 = *(u8 *)(r2 + 22) // FAIL
if r0 > 1 goto pass
r0 = 1
exit
pass:
r0 = 2
exit
