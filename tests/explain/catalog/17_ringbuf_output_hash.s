// message: map_func
// kind: program
// type: socket_filter
// hint: matches the map type
.map counts hash key=4 value=8 max_entries=16
.map events ringbuf max_entries=4096
*(u64 *)(r10 - 8) = 0
r1 = counts ll // bad
r1 = events ll // fix
r2 = r10
r2 += -8
r3 = 8
r4 = 0
call bpf_ringbuf_output // FAIL
r0 = 0
exit
