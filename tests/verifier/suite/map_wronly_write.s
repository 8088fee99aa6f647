# type: socket_filter
# expect: accept
# about: a program may write a BPF_F_WRONLY_PROG map
.map m array key=4 value=8 max_entries=1 flags=0x100
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
*(u64 *)(r0 + 0) = 1
out:
r0 = 0
exit
