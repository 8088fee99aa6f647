# type: xdp
# expect: accept
# about: on 6.18 bpf_get_current_pid_tgid is a base helper for privileged loaders: XDP may call it
call bpf_get_current_pid_tgid
r0 = 2
exit
