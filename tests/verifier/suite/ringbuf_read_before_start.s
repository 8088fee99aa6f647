# type: socket_filter
# expect: reject
# class: mem_oob
# insn: 6
# message: invalid access to memory, mem_size=8 off=-1 size=1
# message: R0 min value is outside of the allowed memory range
# about: a read just before the reserved memory
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r7 = *(u8 *)(r0 - 1)
r1 = r0
r2 = 0
call bpf_ringbuf_submit
out:
r0 = 0
exit
