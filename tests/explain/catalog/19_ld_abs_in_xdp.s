// message: ld_abs_prog_type
// kind: environment
// type: xdp
// hint: data/data_end
r6 = r1
r0 = *(u8 *)skb[12] // FAIL // bad
r0 = 2
exit
