# type: socket_filter
# expect: accept
# about: an array lookup with a constant in-range key is known non-NULL (no check needed on 6.18)
.map m array key=4 value=8 max_entries=4
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
*(u64 *)(r0 + 0) = 1
r0 = 0
exit
