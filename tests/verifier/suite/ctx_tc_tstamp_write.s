# type: sched_cls
# expect: accept
# about: tc programs may write the 8-byte tstamp
r2 = 0
*(u64 *)(r1 + 152) = r2
r0 = 0
exit
