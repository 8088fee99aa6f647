# type: sched_cls
# expect: accept
# about: tc programs read data, data_end and data_meta
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = *(u32 *)(r1 + 140)
r0 = 0
exit
