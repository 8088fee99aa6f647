# type: socket_filter
# expect: accept
# about: legacy LD_ABS loads of 1, 2 and 4 bytes in a socket filter
r6 = r1
r0 = *(u8 *)skb[23]
r0 = *(u16 *)skb[12]
r0 = *(u32 *)skb[26]
exit
