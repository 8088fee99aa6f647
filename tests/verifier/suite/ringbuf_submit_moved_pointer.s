# type: socket_filter
# expect: reject
# class: release_invalid
# insn: 9
# message: R1 must have zero offset when passed to release func or trusted arg to kfunc
# about: a pointer into the middle of the reservation is submitted
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r1 = r0
r1 += 4
r2 = 0
call bpf_ringbuf_submit
out:
r0 = 0
exit
