# type: socket_filter
# expect: accept
# about: a percpu_hash map lookup, NULL-checked, then the value is read and written
.map m percpu_hash key=4 value=8 max_entries=4
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u64 *)(r0 + 0)
r1 += 1
*(u64 *)(r0 + 0) = r1
out:
r0 = 0
exit
