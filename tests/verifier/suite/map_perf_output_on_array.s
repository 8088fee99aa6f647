# type: socket_filter
# expect: reject
# class: helper_map_mismatch
# insn: 8
# message: cannot pass map_type 2 into func bpf_perf_event_output#25
# about: bpf_perf_event_output needs a perf event array
.map m array key=4 value=8 max_entries=1
*(u64 *)(r10 - 8) = 0
r2 = m ll
r3 = 0xffffffff ll
r4 = r10
r4 += -8
r5 = 8
call bpf_perf_event_output
r0 = 0
exit
