# type: socket_filter
# expect: accept
# about: a map value pointer plus a bounded scalar stays inside the value
.map m array key=4 value=64 max_entries=1
call bpf_get_prandom_u32
r6 = r0
r6 &= 56
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += r6
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
