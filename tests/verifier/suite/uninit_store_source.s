# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 0
# message: R5 !read_ok
# about: an uninitialised register is stored to the stack
*(u64 *)(r10 - 8) = r5
r0 = 0
exit
