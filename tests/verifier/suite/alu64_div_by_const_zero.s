# type: socket_filter
# expect: reject
# class: div_by_zero
# insn: 1
# message: div by zero
# about: 64-bit div by the constant 0 is refused at load time
call bpf_get_prandom_u32
r0 /= 0
exit
