# type: socket_filter
# expect: reject
# class: ld_abs_not_allowed
# insn: 1
# message: at the time of BPF_LD_ABS|IND R6 != pointer to skb
# about: LD_ABS needs the skb in R6
r6 = 0
r0 = *(u8 *)skb[12]
exit
