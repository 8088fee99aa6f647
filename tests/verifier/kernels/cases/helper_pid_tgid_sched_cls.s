# type: sched_cls
# expect: accept
# about: bpf_get_current_pid_tgid in a tc classifier: available there only on the newer kernels
call bpf_get_current_pid_tgid
r0 = 0
exit
