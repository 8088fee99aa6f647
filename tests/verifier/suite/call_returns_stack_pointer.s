# type: socket_filter
# expect: reject
# class: return_pointer
# insn: 5
# message: cannot return stack pointer to the caller
# about: a subprogram returns a pointer to its own stack
call f
r0 = 0
exit
f:
r0 = r10
r0 += -8
exit
