# type: socket_filter
# expect: accept
# about: a bounded key spilled to the stack keeps its bounds after a helper reads it (6.13; 6.1 and 6.12 forget it)
.map m array key=4 value=128 max_entries=16
call bpf_get_prandom_u32
w0 &= 15
*(u32 *)(r10 - 8) = r0
r2 = r10
r2 += -8
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u32 *)(r10 - 8)
r1 <<= 3
r0 += r1
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
