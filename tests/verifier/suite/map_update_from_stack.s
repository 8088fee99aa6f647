# type: socket_filter
# expect: accept
# about: bpf_map_update_elem with key and value on the stack
.map m hash key=4 value=8 max_entries=16
*(u32 *)(r10 - 4) = 1
*(u64 *)(r10 - 16) = 42
r1 = m ll
r2 = r10
r2 += -4
r3 = r10
r3 += -16
r4 = 0
call bpf_map_update_elem
r0 = 0
exit
