# type: socket_filter
# expect: reject
# class: helper_map_mismatch
# insn: 7
# message: cannot pass map_type 1 into func bpf_ringbuf_output#130
# about: bpf_ringbuf_output needs a ring buffer map, not a hash
.map m hash key=4 value=8 max_entries=16
*(u64 *)(r10 - 8) = 0
r1 = m ll
r2 = r10
r2 += -8
r3 = 8
r4 = 0
call bpf_ringbuf_output
r0 = 0
exit
