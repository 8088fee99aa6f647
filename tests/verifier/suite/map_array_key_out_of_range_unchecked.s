# type: socket_filter
# expect: reject
# class: null_deref
# insn: 6
# message: R0 invalid mem access 'map_value_or_null'
# about: an array lookup with a constant key past max_entries may return NULL
.map m array key=4 value=8 max_entries=4
*(u32 *)(r10 - 4) = 4
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
*(u64 *)(r0 + 0) = 1
r0 = 0
exit
