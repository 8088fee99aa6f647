# type: tracepoint
# expect: reject
# class: helper_arg_size
# insn: 6
# message: R2 min value is negative, either use unsigned or 'var &= const'
# about: a size that is a full random number
r6 = r1
call bpf_get_prandom_u32
r2 = r0
r1 = r10
r1 += -8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
