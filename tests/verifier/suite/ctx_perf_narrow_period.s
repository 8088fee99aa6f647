# type: perf_event
# expect: accept
# about: a 4-byte read of sample_period is a valid narrow load
r0 = *(u32 *)(r1 + 168)
r0 = 0
exit
