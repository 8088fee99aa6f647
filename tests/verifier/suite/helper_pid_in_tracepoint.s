# type: tracepoint
# expect: accept
# about: tracepoint programs may call bpf_get_current_pid_tgid and bpf_ktime_get_ns
call bpf_get_current_pid_tgid
r6 = r0
call bpf_ktime_get_ns
r0 += r6
r0 = 0
exit
