# type: socket_filter
# expect: accept
# about: R6-R9 keep their values across a helper call
r6 = 1
r7 = 2
r8 = 3
r9 = 4
call bpf_get_prandom_u32
r0 = r6
r0 += r7
r0 += r8
r0 += r9
exit
