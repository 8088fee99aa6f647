# type: socket_filter
# expect: reject
# class: helper_arg_type
# insn: 4
# message: R2 type=scalar expected=func
# about: bpf_loop needs a function pointer, not a number
r1 = 10
r2 = 0
r3 = 0
r4 = 0
call bpf_loop
r0 = 0
exit
