# type: xdp
# expect: reject
# found: the twin of movsx_subreg_range.s, measured on the live kernel (6.18.44)
# about: the lower 32 bits in [0, 255] are not all in the s8 range, so r7 = (s8)r7 has the default range [-128, 127] and the map value pointer plus r7 may point before the value (both refuse: R0 min value is negative)
.map m3 array key=4 value=256 max_entries=1
call bpf_get_prandom_u32
r7 = r0
r7 <<= 32
call bpf_get_prandom_u32
r0 &= 255
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
