// message: "R%d is not a known constant'"
// kind: program
// type: socket_filter
// hint: constant size in r2
.map events ringbuf max_entries=4096
r6 = r1
r2 = *(u32 *)(r6 + 0) // ROOT
r2 &= 63 // bad
r2 = 64 // fix
r1 = events ll
r3 = 0
call bpf_ringbuf_reserve // FAIL
if r0 == 0 goto out
r1 = r0
r2 = 0
call bpf_ringbuf_discard
out:
r0 = 0
exit
