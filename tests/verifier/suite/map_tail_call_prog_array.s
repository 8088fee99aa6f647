# type: socket_filter
# expect: accept
# about: bpf_tail_call with a program array and a scalar index
.map progs prog_array key=4 value=4 max_entries=4
r2 = progs ll
r3 = 1
call bpf_tail_call
r0 = 0
exit
