# type: socket_filter
# expect: accept
# about: bpf_ringbuf_output copies a stack buffer; nothing to release
.map rb ringbuf key=0 value=0 max_entries=4096
*(u64 *)(r10 - 8) = 7
r1 = rb ll
r2 = r10
r2 += -8
r3 = 8
r4 = 0
call bpf_ringbuf_output
r0 = 0
exit
