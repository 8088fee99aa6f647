// message: reg_not_init
// kind: program
// type: socket_filter
// hint: R1-R5
r6 = r1
call bpf_ktime_get_ns // ROOT
r1 = r6 // fix
r0 = *(u32 *)(r1 + 0) // FAIL
exit
