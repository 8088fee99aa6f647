# type: socket_filter
# expect: reject
# class: uninit_r0
# insn: 2
# message: R0 !read_ok
# about: the program sets R1 and R6 but exits without setting R0
r6 = 1
r1 = r6
exit
