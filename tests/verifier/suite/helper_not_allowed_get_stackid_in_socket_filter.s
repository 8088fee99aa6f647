# type: socket_filter
# expect: reject
# class: helper_not_allowed
# insn: 3
# message: program of this type cannot use helper bpf_get_stackid#27
# about: socket filters cannot call bpf_get_stackid
.map st stack_trace key=4 value=8 max_entries=4
r2 = st ll
r3 = 0
call bpf_get_stackid
r0 = 0
exit
