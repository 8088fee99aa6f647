# type: socket_filter
# expect: accept
# about: a map value pointer moved forward then back, read at offset 0
.map m array key=4 value=64 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += 32
r0 -= 32
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
