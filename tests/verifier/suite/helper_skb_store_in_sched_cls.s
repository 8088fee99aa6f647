# type: sched_cls
# expect: accept
# about: tc programs may call bpf_skb_store_bytes
*(u64 *)(r10 - 8) = 0
r2 = 0
r3 = r10
r3 += -8
r4 = 4
r5 = 0
call bpf_skb_store_bytes
r0 = 0
exit
