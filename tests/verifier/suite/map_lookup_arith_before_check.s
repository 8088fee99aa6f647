# type: socket_filter
# expect: reject
# class: null_deref
# insn: 6
# message: R0 pointer arithmetic on map_value_or_null prohibited, null-check it first
# about: pointer arithmetic on a maybe-NULL map value is refused
.map m hash key=4 value=8 max_entries=16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
r0 += 4
if r0 == 0 goto out
r1 = *(u32 *)(r0 + 0)
out:
r0 = 0
exit
