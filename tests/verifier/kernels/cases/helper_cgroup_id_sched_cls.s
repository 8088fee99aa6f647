# type: sched_cls
# expect: accept
# about: bpf_get_current_cgroup_id in a tc classifier: available there only on the newer kernels
call bpf_get_current_cgroup_id
r0 = 0
exit
