# type: socket_filter
# expect: reject
# class: helper_map_mismatch
# insn: 3
# message: expected prog array map for tail call
# about: bpf_tail_call needs a program array
.map m hash key=4 value=8 max_entries=16
r2 = m ll
r3 = 0
call bpf_tail_call
r0 = 0
exit
