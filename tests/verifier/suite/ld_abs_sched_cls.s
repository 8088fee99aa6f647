# type: sched_cls
# expect: accept
# about: LD_ABS is allowed in tc programs
r6 = r1
r0 = *(u16 *)skb[12]
r0 = 0
exit
