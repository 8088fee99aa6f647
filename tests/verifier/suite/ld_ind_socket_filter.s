# type: socket_filter
# expect: accept
# about: a legacy LD_IND load with a register offset
r6 = r1
r7 = 14
r0 = *(u16 *)skb[r7 + 2]
exit
