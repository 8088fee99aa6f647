// message: invalid_mem_access
// kind: program
// type: socket_filter
// hint: == 0 goto
.map counts hash key=4 value=8 max_entries=16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = counts ll
call bpf_map_lookup_elem // ROOT
if r0 == 0 goto out // fix
r1 = *(u64 *)(r0 + 0) // FAIL
out:
r0 = 0
exit
