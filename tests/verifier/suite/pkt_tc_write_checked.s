# type: sched_cls
# expect: accept
# about: tc writes into the packet after checking
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 14
if r4 > r3 goto out
*(u16 *)(r2 + 12) = 0
out:
r0 = 0
exit
