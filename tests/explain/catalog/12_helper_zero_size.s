// message: zero_size
// kind: program
// type: socket_filter
// hint: r4 &=
r6 = r1
r4 = *(u32 *)(r6 + 0) // ROOT
r4 &= 15 // fix
r4 += 1 // fix
r1 = r6
r2 = 0
r3 = r10
r3 += -16
call bpf_skb_load_bytes // FAIL
r0 = 0
exit
