# type: socket_filter
# expect: reject
# class: scalar_deref
# insn: 2
# message: R1 invalid mem access 'scalar'
# about: after `w1 -= w2` the former context pointer is a number and cannot be dereferenced
r2 = 4
w1 -= w2
r0 = *(u32 *)(r1 + 0)
exit
