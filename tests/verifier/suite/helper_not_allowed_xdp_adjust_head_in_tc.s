# type: sched_cls
# expect: reject
# class: helper_not_allowed
# insn: 1
# message: program of this type cannot use helper bpf_xdp_adjust_head#44
# about: tc programs cannot call bpf_xdp_adjust_head
r2 = 4
call bpf_xdp_adjust_head
r0 = 0
exit
