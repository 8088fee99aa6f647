# type: socket_filter
# expect: accept
# about: a program may read a BPF_F_RDONLY_PROG map
.map m array key=4 value=8 max_entries=1 flags=0x80
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 = *(u64 *)(r0 + 0)
exit
out:
r0 = 0
exit
