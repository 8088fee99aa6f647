# type: socket_filter
# expect: accept
# about: a map value pointer survives a spill across a helper call
.map m hash key=4 value=8 max_entries=16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
*(u64 *)(r10 - 16) = r0
call bpf_get_prandom_u32
r1 = *(u64 *)(r10 - 16)
*(u64 *)(r1 + 0) = r0
out:
r0 = 0
exit
