# type: socket_filter
# expect: reject
# class: frame_pointer_write
# insn: 0
# message: frame pointer is read only
# about: R10 is read-only: an add into it is refused
r10 += 8
r0 = 0
exit
