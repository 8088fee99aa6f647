# type: socket_filter
# expect: reject
# class: ctx_modified
# insn: 4
# message: variable ctx access var_off=(0x0; 0x8) disallowed
# about: a variable offset added to the context pointer and dereferenced
r6 = r1
call bpf_get_prandom_u32
r0 &= 8
r6 += r0
r0 = *(u32 *)(r6 + 0)
exit
