# type: socket_filter
# expect: reject
# class: map_value_oob
# insn: 8
# message: write into map forbidden, value_size=8 off=0 size=8
# about: an atomic add into a BPF_F_RDONLY_PROG map is a write
.map m array key=4 value=8 max_entries=1 flags=0x80
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
out:
r0 = 0
exit
