# type: socket_filter
# expect: reject
# class: ctx_modified
# insn: 4
# message: variable ctx access var_off=(0x0; 0x4) disallowed
# about: a variable offset is added to the context pointer
r6 = r1
call bpf_get_prandom_u32
r0 &= 4
r6 += r0
r0 = *(u32 *)(r6 + 0)
exit
