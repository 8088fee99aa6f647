# type: tracepoint
# expect: reject
# class: helper_not_allowed
# insn: 4
# message: cannot call GPL-restricted function from non-GPL compatible program
# about: a GPL-only helper called from a program whose license is not GPL
.license "Proprietary"
r1 = r10
r1 += -8
r2 = 8
r3 = 0
call bpf_probe_read_kernel
r0 = 0
exit
