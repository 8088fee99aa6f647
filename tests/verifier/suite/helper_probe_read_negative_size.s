# type: tracepoint
# expect: reject
# class: helper_arg_size
# insn: 8
# message: R2 min value is negative, either use unsigned or 'var &= const'
# about: a size that may be negative (only an upper signed check)
call bpf_get_prandom_u32
r2 = r0
r2 <<= 32
r2 s>>= 32
if r2 s> 8 goto out
r1 = r10
r1 += -8
r3 = 0
call bpf_probe_read_kernel
out:
r0 = 0
exit
