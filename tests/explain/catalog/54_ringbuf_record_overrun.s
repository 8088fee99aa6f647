// message: mem_access
// kind: program
// type: socket_filter
// hint: within the size
.map events ringbuf max_entries=4096
r6 = r1
r1 = events ll
r2 = 4 // bad
r2 = 8 // fix
r3 = 0
call bpf_ringbuf_reserve // ROOT
if r0 == 0 goto out
r1 = *(u32 *)(r6 + 0)
*(u32 *)(r0 + 0) = r1
*(u32 *)(r0 + 4) = r1 // FAIL
r1 = r0
r2 = 0
call bpf_ringbuf_submit
out:
r0 = 0
exit
