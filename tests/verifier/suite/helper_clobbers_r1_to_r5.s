# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 2
# message: R3 !read_ok
# about: R3 is read after a helper call clobbered R1-R5
r3 = 1
call bpf_ktime_get_ns
r0 = r3
exit
