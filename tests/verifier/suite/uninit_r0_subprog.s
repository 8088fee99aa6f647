# type: socket_filter
# expect: reject
# class: uninit_r0
# insn: 1
# message: R0 !read_ok
# about: a subprogram returns without setting R0 and its caller exits with that R0
call f
exit
f:
r1 = 1
exit
