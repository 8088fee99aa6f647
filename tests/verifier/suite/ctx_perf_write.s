# type: perf_event
# expect: reject
# class: ctx_access
# insn: 1
# message: invalid bpf_context access off=168 size=8
# about: perf_event context is read-only
r2 = 0
*(u64 *)(r1 + 168) = r2
r0 = 0
exit
