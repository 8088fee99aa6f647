# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 2
# message: R1 !read_ok
# about: R1 is clobbered by a bpf-to-bpf call too
r1 = 3
call f
r0 = r1
exit
f:
r0 = 0
exit
