# type: socket_filter
# expect: reject
# class: null_deref
# insn: 7
# message: R0 invalid mem access 'map_value_or_null'
# about: an array lookup with a key not known at load time may return NULL
.map m array key=4 value=8 max_entries=4
call bpf_get_prandom_u32
*(u32 *)(r10 - 4) = r0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
*(u64 *)(r0 + 0) = 1
r0 = 0
exit
