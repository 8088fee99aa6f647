# type: socket_filter
# expect: accept
# about: the reserved pointer spilled across a helper call and released after the fill
.map rb ringbuf key=0 value=0 max_entries=4096
r1 = rb ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
*(u64 *)(r10 - 8) = r0
call bpf_ktime_get_ns
r1 = *(u64 *)(r10 - 8)
*(u64 *)(r1 + 0) = r0
r2 = 0
call bpf_ringbuf_submit
out:
r0 = 0
exit
