# type: socket_filter
# expect: reject
# class: map_value_oob
# insn: 12
# message: invalid access to map value, value_size=64 off=63 size=8
# message: R0 max value is outside of the allowed memory range
# about: an index masked to 0..7 times 9 reaches past the 64-byte value with an 8-byte read
.map m array key=4 value=64 max_entries=1
call bpf_get_prandom_u32
r6 = r0
r6 &= 7
r6 *= 9
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
