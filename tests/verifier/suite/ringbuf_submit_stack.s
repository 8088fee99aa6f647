# type: socket_filter
# expect: reject
# class: release_invalid
# insn: 3
# message: R1 type=fp expected=ringbuf_mem
# about: a stack pointer is passed to bpf_ringbuf_submit
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = r10
r1 += -8
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
