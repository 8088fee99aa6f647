# type: socket_filter
# expect: accept
# about: a `!= 0` check guarding the access
.map m hash key=4 value=8 max_entries=16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 != 0 goto ok
r0 = 0
exit
ok:
r0 = *(u64 *)(r0 + 0)
exit
