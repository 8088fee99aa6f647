# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 0
# message: R2 !read_ok
# about: R2 is copied before anything was written to it
r0 = r2
exit
