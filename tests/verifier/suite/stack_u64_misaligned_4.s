# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 0
# message: misaligned stack access off 0+0+-4 size 8
# about: a 8-byte stack store at r10-4 is misaligned (stack accesses are always strictly aligned)
*(u64 *)(r10 - 4) = 1
r0 = 0
exit
