// message: "At program exit the register R%d is not a known value (%s)"
// kind: program
// type: cgroup_skb
// hint: return a scalar
.map blocked hash key=4 value=4 max_entries=64
r2 = *(u32 *)(r1 + 8)
*(u32 *)(r10 - 4) = r2
r2 = r10
r2 += -4
r1 = blocked ll
call bpf_map_lookup_elem
r0 = 1 // fix
exit // FAIL
