# type: tracepoint
# expect: reject
# class: ld_abs_not_allowed
# insn: 1
# message: BPF_LD_[ABS|IND] instructions not allowed for this program type
# about: LD_ABS is not allowed in tracepoint programs
r6 = r1
r0 = *(u8 *)skb[12]
r0 = 0
exit
