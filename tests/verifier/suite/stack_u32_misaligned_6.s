# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 0
# message: misaligned stack access off 0+0+-6 size 4
# about: a 4-byte stack store at r10-6 is misaligned (stack accesses are always strictly aligned)
*(u32 *)(r10 - 6) = 1
r0 = 0
exit
