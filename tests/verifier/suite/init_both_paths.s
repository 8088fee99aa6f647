# type: socket_filter
# expect: accept
# about: R6 is written on both paths before it is read
call bpf_get_prandom_u32
if r0 > 5 goto +2
r6 = 1
goto +1
r6 = 2
r0 = r6
exit
