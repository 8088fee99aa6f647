// message: "cannot write into packet"
// kind: environment
// type: cgroup_skb
// hint: tc, xdp
r2 = *(u32 *)(r1 + 76)
r3 = *(u32 *)(r1 + 80)
r4 = r2
r4 += 2
if r4 > r3 goto out
*(u8 *)(r2 + 1) = 0 // FAIL // bad
r0 = *(u8 *)(r2 + 1) // fix
out:
r0 = 1
exit
