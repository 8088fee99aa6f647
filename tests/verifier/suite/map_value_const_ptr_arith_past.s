# type: socket_filter
# expect: reject
# class: map_value_oob
# insn: 8
# message: invalid access to map value, value_size=16 off=12 size=8
# message: R0 min value is outside of the allowed memory range
# about: a map value pointer advanced by 12, then read 8 bytes
.map m array key=4 value=16 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += 12
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
