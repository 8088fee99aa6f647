# type: socket_filter
# expect: reject
# class: null_deref
# insn: 5
# message: R0 invalid mem access 'ringbuf_mem_or_null'
# about: the reserved pointer is written before its NULL check
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
*(u64 *)(r0 + 0) = 1
r1 = r0
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
