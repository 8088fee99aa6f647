# type: socket_filter
# expect: reject
# class: unbounded_pointer_math
# insn: 2
# message: math between fp pointer and register with unbounded min value is not allowed
# about: a full 64-bit random number added to a stack pointer
call bpf_get_prandom_u32
r1 = r10
r1 += r0
r0 = 0
exit
