# type: socket_filter
# expect: reject
# class: call_depth
# insn: 2
# message: the call stack of 9 frames is too deep
# about: a subprogram that calls itself
call f
exit
f:
call f
r0 = 0
exit
