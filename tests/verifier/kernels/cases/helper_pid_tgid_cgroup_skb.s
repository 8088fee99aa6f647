# type: cgroup_skb
# attach: cgroup_inet_ingress
# expect: accept
# about: bpf_get_current_pid_tgid in a cgroup skb program: available there only on the newer kernels
call bpf_get_current_pid_tgid
r0 = 1
exit
