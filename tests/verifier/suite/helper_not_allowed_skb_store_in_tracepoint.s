# type: tracepoint
# expect: reject
# class: helper_not_allowed
# insn: 5
# message: program of this type cannot use helper bpf_skb_store_bytes#9
# about: tracepoint programs cannot call bpf_skb_store_bytes
r2 = 0
r3 = r10
r3 += -8
r4 = 4
r5 = 0
call bpf_skb_store_bytes
r0 = 0
exit
