# type: socket_filter
# expect: reject
# class: map_value_oob
# insn: 7
# message: invalid access to map value, value_size=8 off=4 size=8
# message: R0 min value is outside of the allowed memory range
# about: a u64 read at offset 4 of an 8-byte map value reaches outside it
.map m array key=4 value=8 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 4)
out:
r0 = 0
exit
