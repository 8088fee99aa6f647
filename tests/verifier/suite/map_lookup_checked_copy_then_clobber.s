# type: socket_filter
# expect: reject
# class: null_deref
# insn: 13
# message: R0 invalid mem access 'map_value_or_null'
# about: a NULL check on a register that is then overwritten says nothing about the new value
.map m hash key=4 value=8 max_entries=16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
r0 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
