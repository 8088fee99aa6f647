# type: socket_filter
# expect: accept
# about: a loop up to a random bound that is first capped at 64
call bpf_get_prandom_u32
r6 = r0
r6 &= 63
r1 = 0
r0 = 0
loop:
if r1 >= r6 goto out
r1 += 1
r0 += 2
goto loop
out:
exit
