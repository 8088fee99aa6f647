# type: socket_filter
# expect: accept
# about: a map value pointer advanced by a constant, then read inside the value
.map m array key=4 value=16 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += 8
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
