// message: size_negative
// kind: program
// type: socket_filter
// hint: r4 &=
r6 = r1
r4 = *(u32 *)(r6 + 0) // ROOT
r4 += -14
if r4 s> 16 goto out
if r4 s< 1 goto out // fix
r1 = r6
r2 = 14
r3 = r10
r3 += -16
call bpf_skb_load_bytes // FAIL
out:
r0 = 0
exit
