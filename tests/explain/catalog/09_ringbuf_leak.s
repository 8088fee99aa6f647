// message: unreleased_ref
// kind: program
// type: socket_filter
// hint: bpf_ringbuf_submit
.map events ringbuf max_entries=4096
r6 = r1
r1 = events ll
r2 = 16
r3 = 0
call bpf_ringbuf_reserve // ROOT
if r0 == 0 goto out
*(u64 *)(r0 + 0) = 1
r1 = r0 // fix
r2 = 0 // fix
call bpf_ringbuf_submit // fix
out:
r0 = 0
exit // FAIL
