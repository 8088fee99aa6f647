# type: sk_skb
# expect: accept
# about: bpf_get_current_cgroup_id in an sk_skb program: available there only on the newer kernels
call bpf_get_current_cgroup_id
r0 = 0
exit
