# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 2
# message: R1 !read_ok
# about: R1 is clobbered by the helper call and read afterwards
r1 = 5
call bpf_get_prandom_u32
r0 = r1
exit
