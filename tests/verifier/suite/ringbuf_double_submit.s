# type: socket_filter
# expect: reject
# class: release_invalid
# insn: 12
# message: R1 type=scalar expected=ringbuf_mem
# about: the same reservation is submitted twice
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
r1 = r6
r2 = 0
call bpf_ringbuf_submit
out:
r0 = 0
exit
