# type: socket_filter
# expect: accept
# about: root may pass a key on stack that was never written
.map m hash key=4 value=8 max_entries=16
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
r0 = 0
exit
