// message: call_stack_depth
// kind: verifier_limit
// type: socket_filter
// hint: inline small functions
r1 = 1
call f1
exit
f1:
call f2
r0 = 0
exit
f2:
call f3
r0 = 0
exit
f3:
call f4
r0 = 0
exit
f4:
call f5
r0 = 0
exit
f5:
call f6
r0 = 0
exit
f6:
call f7
r0 = 0
exit
f7:
call f8 // FAIL // bad
r0 = 0
exit
f8: // bad
r0 = 0 // bad
exit // bad
