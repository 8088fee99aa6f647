// message: stack_bounds
// kind: program
// type: socket_filter
// hint: if r3 > N goto
.map events ringbuf max_entries=4096
*(u64 *)(r10 - 8) = 0
*(u64 *)(r10 - 16) = 0
*(u64 *)(r10 - 24) = 0
*(u64 *)(r10 - 32) = 0
r3 = *(u32 *)(r1 + 0)
if r3 > 64 goto out // ROOT // bad
if r3 > 32 goto out // fix
r1 = events ll
r2 = r10
r2 += -32
r4 = 0
call bpf_ringbuf_output // FAIL
out:
r0 = 0
exit
