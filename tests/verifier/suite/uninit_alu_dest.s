# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 0
# message: R5 !read_ok
# about: `r5 += 1` reads R5, which was never written
r5 += 1
r0 = 0
exit
