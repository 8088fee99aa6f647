// message: "write into map forbidden, value_size=%d off=%d size=%d"
// kind: program
// type: socket_filter
// hint: BPF_F_RDONLY_PROG
.map cfg array key=4 value=8 max_entries=1 flags=0x80 // bad
.map cfg array key=4 value=8 max_entries=1 // fix
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = cfg ll
call bpf_map_lookup_elem
if r0 == 0 goto out
*(u64 *)(r0 + 0) = 1 // FAIL
out:
r0 = 0
exit
