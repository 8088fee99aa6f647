// message: min_negative_index
// kind: program
// type: socket_filter
// hint: s< 0
.map table array key=4 value=64 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = table ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0) // ROOT
if r1 s> 63 goto out
if r1 s< -8 goto out // bad
if r1 s< 0 goto out // fix
r0 += r1
r1 = *(u8 *)(r0 + 0) // FAIL
out:
r0 = 0
exit
