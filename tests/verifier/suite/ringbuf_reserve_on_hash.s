# type: socket_filter
# expect: reject
# class: helper_map_mismatch
# insn: 4
# message: cannot pass map_type 1 into func bpf_ringbuf_reserve#131
# about: bpf_ringbuf_reserve needs a ring buffer map
.map m hash key=4 value=8 max_entries=16
r1 = m ll
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
r0 = 0
exit
