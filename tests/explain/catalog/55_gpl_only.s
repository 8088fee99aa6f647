// message: gpl_only
// kind: environment
// type: socket_filter
// hint: GPL-compatible license
.license "Proprietary" // bad
.license "GPL" // fix
*(u64 *)(r10 - 8) = 0
r1 = r10
r1 += -8
r2 = 8
call bpf_trace_printk // FAIL
r0 = 0
exit
