# type: sched_cls
# expect: accept
# about: tc programs read the 8-byte tstamp
r0 = *(u64 *)(r1 + 152)
r0 = 0
exit
