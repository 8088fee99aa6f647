# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 0
# message: R4 !read_ok
# about: W4 is read by a 32-bit move before it was written
w0 = w4
exit
