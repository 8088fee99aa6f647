// message: map_value_access
// kind: program
// type: socket_filter
// hint: if r1 >
.map table array key=4 value=64 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = table ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
if r1 > 64 goto out // ROOT // bad
if r1 > 56 goto out // fix
r0 += r1
r1 = *(u64 *)(r0 + 0) // FAIL
out:
r0 = 0
exit
