// message: combined_stack
// kind: verifier_limit
// type: socket_filter
// hint: inline small functions or reduce stack use
*(u64 *)(r10 - 400) = 0 // bad
*(u64 *)(r10 - 40) = 0 // fix
call inner // FAIL
r0 = 0
exit
inner:
*(u64 *)(r10 - 200) = 0
r0 = 0
exit
