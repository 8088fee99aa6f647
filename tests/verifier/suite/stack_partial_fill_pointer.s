# type: socket_filter
# expect: reject
# class: bad_pointer_deref
# insn: 1
# message: invalid size of register fill
# about: a 4-byte fill of a spilled pointer is refused ('invalid size of register fill')
*(u64 *)(r10 - 8) = r1
r0 = *(u32 *)(r10 - 8)
exit
