# type: socket_filter
# expect: reject
# class: uninit_r0
# insn: 1
# message: R0 !read_ok
# about: the program exits without setting R0
r1 = 0
exit
