# type: socket_filter
# expect: accept
# about: the reservation is submitted on one path and discarded on the other
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r6 = r0
call bpf_get_prandom_u32
r1 = r6
r2 = 0
if r0 > 100 goto drop
call bpf_ringbuf_submit
goto out
drop:
call bpf_ringbuf_discard
out:
r0 = 0
exit
