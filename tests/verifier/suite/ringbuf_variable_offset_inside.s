# type: socket_filter
# expect: accept
# about: a bounded variable offset into a 16-byte reservation
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 16
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r6 = r0
call bpf_get_prandom_u32
r0 &= 7
r1 = r6
r1 += r0
*(u64 *)(r1 + 0) = 0
r1 = r6
r2 = 0
call bpf_ringbuf_submit
out:
r0 = 0
exit
