# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 1
# message: misaligned stack access off 0+0+-10 size 4
# about: a 4-byte stack load at r10-10 is misaligned
*(u64 *)(r10 - 16) = 0
r0 = *(u32 *)(r10 - 10)
exit
