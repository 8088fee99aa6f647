# type: socket_filter
# expect: accept
# about: sign-extending moves from 8, 16 and 32 bits (cpu v4)
call bpf_get_prandom_u32
r1 = (s8) r0
r2 = (s16) r0
r3 = (s32) r0
r0 = r1
r0 += r2
r0 += r3
exit
