# type: socket_filter
# expect: accept
# about: 64-bit sdiv with an immediate and with a register operand
call bpf_get_prandom_u32
r6 = r0
r6 s/= 3
r7 = 5
r6 s/= r7
r0 = r6
exit
