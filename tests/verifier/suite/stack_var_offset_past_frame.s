# type: socket_filter
# expect: reject
# class: stack_oob
# insn: 5
# message: invalid variable-offset write to stack R1 var_off=(0x0; 0xf) off=-8 size=1
# about: a variable stack offset that can reach above the frame pointer
call bpf_get_prandom_u32
r0 &= 15
r1 = r10
r1 += -8
r1 += r0
*(u8 *)(r1 + 0) = 0
r0 = 0
exit
