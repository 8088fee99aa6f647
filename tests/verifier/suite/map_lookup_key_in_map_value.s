# type: socket_filter
# expect: accept
# about: a key read from another map's value (a map value pointer as key)
.map m hash key=4 value=8 max_entries=16
.map keys array key=4 value=4 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = keys ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r2 = r0
r1 = m ll
call bpf_map_lookup_elem
out:
r0 = 0
exit
