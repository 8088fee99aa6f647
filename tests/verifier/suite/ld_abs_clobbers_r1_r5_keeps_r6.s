# type: socket_filter
# expect: accept
# about: after LD_ABS, R6 still holds the context
r6 = r1
r0 = *(u8 *)skb[0]
r0 = *(u32 *)(r6 + 0)
exit
