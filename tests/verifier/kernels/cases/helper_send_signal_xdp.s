# type: xdp
# expect: accept
# about: bpf_send_signal in XDP: available there only on the newer kernels
r1 = 10
call bpf_send_signal
r0 = 2
exit
