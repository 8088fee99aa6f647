# type: socket_filter
# expect: accept
# about: a pointer spilled to the stack and used as a map key is still a pointer when filled (6.13; 6.1 and 6.12 make it a scalar)
.map keys hash key=8 value=8 max_entries=16
.map vals array key=4 value=8 max_entries=1
*(u32 *)(r10 - 16) = 0
r2 = r10
r2 += -16
r1 = vals ll
call bpf_map_lookup_elem
if r0 == 0 goto out
*(u64 *)(r10 - 8) = r0
r2 = r10
r2 += -8
r1 = keys ll
call bpf_map_lookup_elem
r1 = *(u64 *)(r10 - 8)
r0 = *(u64 *)(r1 + 0)
out:
r0 = 0
exit
