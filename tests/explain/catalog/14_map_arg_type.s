// message: arg_type
// kind: program
// type: socket_filter
// hint: prototype
.map counts hash key=4 value=8 max_entries=16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = 0 // bad
r1 = counts ll // fix
call bpf_map_lookup_elem // FAIL
r0 = 0
exit
