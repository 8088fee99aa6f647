# type: socket_filter
# expect: reject
# class: unbounded_pointer_math
# insn: 11
# message: math between map_value pointer and register with unbounded min value is not allowed
# about: a full 64-bit random index is added to a map value pointer
.map m array key=4 value=64 max_entries=1
call bpf_get_prandom_u32
r6 = r0
r6 <<= 32
r6 |= r0
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
