# type: socket_filter
# expect: accept
# about: an index masked to 0..7 times 8 stays within 64 bytes - 8
.map m array key=4 value=64 max_entries=1
call bpf_get_prandom_u32
r6 = r0
r6 &= 7
r6 *= 8
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += r6
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
