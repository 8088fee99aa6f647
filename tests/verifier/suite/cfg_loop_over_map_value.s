# type: socket_filter
# expect: accept
# about: a bounded loop zeroing a 64-byte map value 8 bytes at a time
.map m array key=4 value=64 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 0
loop:
r2 = r0
r2 += r1
*(u64 *)(r2 + 0) = 0
r1 += 8
if r1 < 64 goto loop
out:
r0 = 0
exit
