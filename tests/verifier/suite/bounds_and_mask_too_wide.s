# type: socket_filter
# expect: reject
# class: map_value_oob
# insn: 11
# message: invalid access to map value, value_size=64 off=127 size=1
# message: R0 max value is outside of the allowed memory range
# about: an AND mask of 127 lets the index reach past a 64-byte map value
.map m array key=4 value=64 max_entries=1
call bpf_get_prandom_u32
r6 = r0
r6 &= 127
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
