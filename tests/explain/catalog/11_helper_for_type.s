// message: helper_prog_type
// kind: environment
// type: socket_filter
// hint: program type
r2 = 0
call bpf_xdp_adjust_head // FAIL // bad
r0 = 0
exit
