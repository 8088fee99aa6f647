# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 1
# message: R3 !read_ok
# about: R3 is added to r0 before it was written
r0 = 0
r0 += r3
exit
