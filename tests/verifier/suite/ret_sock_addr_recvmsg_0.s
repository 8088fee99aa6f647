# type: cgroup_sock_addr
# attach: cgroup_udp4_recvmsg
# expect: reject
# class: return_range
# insn: 1
# message: At program exit the register R0 has smin=0 smax=0 should have been in [1, 1]
# about: recvmsg4 programs must return 1
r0 = 0
exit
