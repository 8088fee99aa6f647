# type: socket_filter
# expect: reject
# class: null_deref
# insn: 5
# message: R0 pointer arithmetic on ringbuf_mem_or_null prohibited, null-check it first
# about: arithmetic on a maybe-NULL ring buffer reservation
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
r0 += 1
r0 = 0
exit
