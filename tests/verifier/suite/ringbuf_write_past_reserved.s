# type: socket_filter
# expect: reject
# class: mem_oob
# insn: 6
# message: invalid access to memory, mem_size=8 off=8 size=8
# message: R0 min value is outside of the allowed memory range
# about: an 8-byte write at offset 8 of an 8-byte reservation
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
*(u64 *)(r0 + 8) = 1
r1 = r0
r2 = 0
call bpf_ringbuf_submit
out:
r0 = 0
exit
