# type: xdp
# expect: accept
# found: the rule behind movsx64_of_known_zero.s, measured on the live kernel (6.18.44)
# about: the upper 32 bits unknown, the lower in [0, 63]: this kernel's r7 = (s8)r7 keeps [0, 63] (the 64-bit bounds' tops differ, so the range comes from the subregister's, which sign extension from 8 bits leaves as it is), and the map value pointer plus r7 reads inside the 256-byte value
.map m3 array key=4 value=256 max_entries=1
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
r1 = m3 ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += r7
r1 = *(u8 *)(r0 + 0)
out:
r0 = 0
exit
