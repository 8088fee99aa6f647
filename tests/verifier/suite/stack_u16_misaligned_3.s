# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 0
# message: misaligned stack access off 0+0+-3 size 2
# about: a 2-byte stack store at r10-3 is misaligned (stack accesses are always strictly aligned)
*(u16 *)(r10 - 3) = 1
r0 = 0
exit
