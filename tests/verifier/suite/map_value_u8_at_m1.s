# type: socket_filter
# expect: reject
# class: map_value_oob
# insn: 7
# message: invalid access to map value, value_size=8 off=-1 size=1
# message: R0 min value is outside of the allowed memory range
# about: a u8 read at offset -1 of an 8-byte map value reaches outside it
.map m array key=4 value=8 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u8 *)(r0 - 1)
out:
r0 = 0
exit
