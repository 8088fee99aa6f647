# type: tracepoint
# expect: accept
# about: bpf_get_cgroup_classid (of the current task) in a tracepoint: available there only on the newer kernels
call bpf_get_cgroup_classid
r0 = 0
exit
