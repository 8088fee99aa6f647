# type: socket_filter
# expect: accept
# about: bpf_map_lookup_percpu_elem on a per-CPU array
.map m percpu_array key=4 value=8 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
r3 = 0
call bpf_map_lookup_percpu_elem
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
