# type: perf_event
# expect: reject
# class: ctx_access
# insn: 0
# message: invalid bpf_context access off=200 size=8
# about: offset 200 is past the end of bpf_perf_event_data
r0 = *(u64 *)(r1 + 200)
r0 = 0
exit
