# type: sched_cls
# expect: accept
# about: tc programs may write mark, priority and tc_index
r2 = 1
*(u32 *)(r1 + 8) = r2
*(u32 *)(r1 + 32) = r2
*(u32 *)(r1 + 44) = r2
r0 = 0
exit
