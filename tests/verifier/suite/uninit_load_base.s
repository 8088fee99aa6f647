# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 0
# message: R7 !read_ok
# about: an uninitialised register is used as a load base
r0 = *(u64 *)(r7 + 0)
exit
