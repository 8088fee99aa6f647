# type: socket_filter
# expect: reject
# class: frame_pointer_write
# insn: 0
# message: frame pointer is read only
# about: R10 is read-only: a negation into it is refused
r10 = -r10
r0 = 0
exit
