# type: socket_filter
# expect: reject
# class: release_invalid
# insn: 7
# message: R1 type=ringbuf_mem_or_null expected=ringbuf_mem
# about: the maybe-NULL reservation is submitted before its NULL check
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
r1 = r0
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
