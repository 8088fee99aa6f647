# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 1
# message: R7 !read_ok
# about: LD_IND reads an uninitialised offset register
r6 = r1
r0 = *(u8 *)skb[r7 + 0]
exit
