# type: socket_filter
# expect: accept
# about: a right shift of a 32-bit value by 26 leaves an index below 64
.map m array key=4 value=64 max_entries=1
call bpf_get_prandom_u32
r6 = r0
w6 >>= 26
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += r6
r0 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
