# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 2
# message: R1 !read_ok
# about: LD_ABS clobbers R1-R5 like a call
r6 = r1
r0 = *(u8 *)skb[0]
r0 = *(u32 *)(r1 + 0)
exit
