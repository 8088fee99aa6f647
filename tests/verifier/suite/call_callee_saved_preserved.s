# type: socket_filter
# expect: accept
# about: R6-R9 survive a bpf-to-bpf call
r6 = 1
r7 = 2
call f
r0 += r6
r0 += r7
exit
f:
r6 = 10
r0 = 5
exit
