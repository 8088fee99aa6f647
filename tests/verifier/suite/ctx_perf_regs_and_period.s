# type: perf_event
# expect: accept
# about: perf_event programs read pt_regs fields and sample_period
r2 = *(u64 *)(r1 + 128)
r0 = *(u64 *)(r1 + 168)
r0 = 0
exit
