// message: unreleased_ref
// kind: program
// type: socket_filter
// hint: submit/discard
.map events ringbuf max_entries=4096
.map next prog_array key=4 value=4 max_entries=4
r6 = r1
r1 = events ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve // ROOT
if r0 == 0 goto out
r7 = r0
r1 = r7 // fix
r2 = 0 // fix
call bpf_ringbuf_submit // fix
r1 = r6
r2 = next ll
r3 = 1
call bpf_tail_call // FAIL
r1 = r7 // bad
r2 = 0 // bad
call bpf_ringbuf_submit // bad
out:
r0 = 0
exit
