# type: socket_filter
# expect: reject
# class: scalar_deref
# insn: 10
# message: R6 invalid mem access 'scalar'
# about: the reserved memory is written after it was submitted
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r6 = r0
r1 = r0
r2 = 0
call bpf_ringbuf_submit
*(u64 *)(r6 + 0) = 1
out:
r0 = 0
exit
