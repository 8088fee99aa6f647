# type: sk_lookup
# attach: sk_lookup
# expect: reject
# class: return_range
# insn: 1
# message: At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]
# about: sk_lookup must return SK_DROP or SK_PASS
r0 = 2
exit
