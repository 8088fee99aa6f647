# type: socket_filter
# expect: reject
# class: null_deref
# insn: 7
# message: R0 invalid mem access 'scalar'
# about: the access sits on the branch where the value is NULL
.map m hash key=4 value=8 max_entries=16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 != 0 goto out
r1 = *(u64 *)(r0 + 0)
out:
r0 = 0
exit
