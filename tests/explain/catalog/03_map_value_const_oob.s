// message: map_value_access
// kind: program
// type: socket_filter
// hint: value_size
.map vals array key=4 value=8 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = vals ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 8) // FAIL // bad
r1 = *(u64 *)(r0 + 0) // fix
out:
r0 = 0
exit
