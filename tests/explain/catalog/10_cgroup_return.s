// message: retval_range
// kind: program
// type: cgroup_skb
// hint: accepts
r0 = 2 // bad
r0 = 1 // fix
exit // FAIL
