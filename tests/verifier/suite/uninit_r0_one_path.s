# type: socket_filter
# expect: reject
# class: uninit_r0
# insn: 3
# message: R0 !read_ok
# about: R0 is only set on one path to exit
r1 = *(u32 *)(r1 + 0)
if r1 > 5 goto +1
r0 = 0
exit
