# type: socket_filter
# expect: reject
# class: ctx_modified
# insn: 2
# message: dereference of modified ctx ptr R2 off=16 disallowed
# about: a copy of the context pointer is moved back to a valid field offset, still refused
r2 = r1
r2 += 16
r0 = *(u32 *)(r2 + 0)
exit
