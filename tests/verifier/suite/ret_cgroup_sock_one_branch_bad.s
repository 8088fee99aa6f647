# type: cgroup_sock
# attach: cgroup_inet_sock_create
# expect: reject
# class: return_range
# insn: 4
# message: At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]
# about: one branch returns 2
r2 = *(u32 *)(r1 + 4)
r0 = 0
if r2 != 2 goto +1
r0 = 2
exit
