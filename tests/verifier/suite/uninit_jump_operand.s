# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 1
# message: R6 !read_ok
# about: an uninitialised register is compared
r0 = 0
if r6 > 0 goto +1
r0 = 1
exit
