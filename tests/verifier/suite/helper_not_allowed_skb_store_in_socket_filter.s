# type: socket_filter
# expect: reject
# class: helper_not_allowed
# insn: 6
# message: program of this type cannot use helper bpf_skb_store_bytes#9
# about: socket filters cannot modify the packet with bpf_skb_store_bytes
*(u64 *)(r10 - 8) = 0
r2 = 0
r3 = r10
r3 += -8
r4 = 4
r5 = 0
call bpf_skb_store_bytes
r0 = 0
exit
