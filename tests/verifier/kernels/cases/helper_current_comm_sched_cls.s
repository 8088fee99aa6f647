# type: sched_cls
# expect: accept
# about: bpf_get_current_comm in a tc classifier: available there only on the newer kernels
r1 = r10
r1 += -16
r2 = 16
call bpf_get_current_comm
r0 = 0
exit
