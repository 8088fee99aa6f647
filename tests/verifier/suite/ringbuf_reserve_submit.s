# type: socket_filter
# expect: accept
# about: reserve, NULL check, write, submit
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
*(u64 *)(r0 + 0) = 1
r1 = r0
r2 = 0
call bpf_ringbuf_submit
out:
r0 = 0
exit
