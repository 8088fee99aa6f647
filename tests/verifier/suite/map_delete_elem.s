# type: socket_filter
# expect: accept
# about: bpf_map_delete_elem with a key on the stack
.map m hash key=4 value=8 max_entries=16
*(u32 *)(r10 - 4) = 1
r1 = m ll
r2 = r10
r2 += -4
call bpf_map_delete_elem
r0 = 0
exit
