.license GPL
r1 = m ll
r2 = 8
call bpf_ringbuf_reserve
r0 = 0
exit
