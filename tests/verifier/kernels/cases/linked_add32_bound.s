# type: socket_filter
# expect: accept
# about: a 32-bit copy plus a constant stays linked to its source, so a bound on one bounds the other (6.13; 6.1 and 6.12 lose the link)
call bpf_get_prandom_u32
w1 = w0
w1 &= 7
w3 = w1
w1 += -1
if w3 < 1 goto out
if w3 > 4 goto out
r2 = r10
r2 += -8
r2 += r1
*(u8 *)(r2 + 0) = 0
out:
r0 = 0
exit
