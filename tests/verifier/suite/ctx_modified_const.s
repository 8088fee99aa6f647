# type: socket_filter
# expect: reject
# class: ctx_modified
# insn: 1
# message: dereference of modified ctx ptr R1 off=4 disallowed
# about: the context pointer is advanced by 4, then dereferenced
r1 += 4
r0 = *(u32 *)(r1 + 0)
exit
