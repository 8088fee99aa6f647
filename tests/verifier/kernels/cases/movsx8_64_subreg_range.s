# type: socket_filter
# expect: accept
# about: r7 = (s8)r7 of a number whose upper 32 bits are unknown and whose low 32 bits are in [0, 63]: a kernel with feature movsx_subreg_range keeps [0, 63] and the map value read at r0 + r7 is in bounds; one without it gives r7 the whole [-128, 127], and 6.1 does not know the instruction
.map m array key=4 value=256 max_entries=1
call bpf_get_prandom_u32
r7 = r0
r7 <<= 32
call bpf_get_prandom_u32
r0 &= 63
r7 |= r0
r7 = (s8)r7
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += r7
r1 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
