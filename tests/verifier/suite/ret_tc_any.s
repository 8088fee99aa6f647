# type: sched_cls
# expect: accept
# about: tc returns TC_ACT_* codes, not range-checked
r0 = 7
exit
