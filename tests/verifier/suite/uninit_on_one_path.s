# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 3
# message: R6 !read_ok
# about: R6 is written on only one of two paths that meet before it is read
call bpf_get_prandom_u32
if r0 > 5 goto +1
r6 = 1
r0 = r6
exit
