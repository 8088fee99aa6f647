# type: socket_filter
# expect: accept
# about: a NULL check on a copy of the returned pointer also marks the original non-NULL
.map m hash key=4 value=8 max_entries=16
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
r6 = r0
if r6 == 0 goto out
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
