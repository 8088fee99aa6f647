// message: "value %d makes %s pointer be out of bounds"
// kind: program
// type: socket_filter
// hint: bound R1
.map table array key=4 value=64 max_entries=1
r6 = r1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = table ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u32 *)(r6 + 48)
r1 <<= 32 // ROOT // bad
r1 s>>= 32 // bad
r1 &= 63 // fix
r0 += r1 // FAIL
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
