# type: socket_filter
# expect: reject
# class: helper_arg_size
# insn: 6
# message: R2 is not a known constant'
# about: the reservation size must be a known constant
.map rb ringbuf key=0 value=0 max_entries=4096
call bpf_get_prandom_u32
r2 = r0
r2 &= 63
r1 = rb ll
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r1 = r0
r2 = 0
call bpf_ringbuf_discard
out:
r0 = 0
exit
