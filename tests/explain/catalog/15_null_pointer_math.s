// message: ptr_arith_null
// kind: program
// type: socket_filter
// hint: NULL
.map counts hash key=4 value=16 max_entries=16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = counts ll
call bpf_map_lookup_elem // ROOT
if r0 == 0 goto out // fix
r0 += 8 // FAIL
r1 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
