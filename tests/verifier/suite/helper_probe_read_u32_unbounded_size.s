# type: tracepoint
# expect: reject
# class: helper_arg_size
# insn: 6
# message: R2 unbounded memory access, use 'var &= const' or 'if (var < const)'
# about: a size that is any 32-bit number has no useful upper bound
r6 = r1
call bpf_get_prandom_u32
w2 = w0
r1 = r10
r1 += -8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
