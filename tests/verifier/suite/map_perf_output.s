# type: socket_filter
# expect: accept
# about: bpf_perf_event_output from the stack into a perf event array
.map ev perf_event_array key=4 value=4 max_entries=2
*(u64 *)(r10 - 8) = 0
r2 = ev ll
r3 = 0xffffffff ll
r4 = r10
r4 += -8
r5 = 8
call bpf_perf_event_output
r0 = 0
exit
