# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 3
# message: R6 !read_ok
# about: a subprogram cannot see the caller's R6
r6 = 1
call f
exit
f:
r0 = r6
exit
