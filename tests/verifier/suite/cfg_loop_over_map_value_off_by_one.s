# type: socket_filter
# expect: reject
# class: map_value_oob
# insn: 10
# message: invalid access to map value, value_size=64 off=64 size=8
# message: R2 min value is outside of the allowed memory range
# about: the same loop with `<=`: the last iteration writes at offset 64
.map m array key=4 value=64 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 0
loop:
r2 = r0
r2 += r1
*(u64 *)(r2 + 0) = 0
r1 += 8
if r1 <= 64 goto loop
out:
r0 = 0
exit
