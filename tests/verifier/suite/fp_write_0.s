# type: socket_filter
# expect: reject
# class: frame_pointer_write
# insn: 0
# message: frame pointer is read only
# about: R10 is read-only: an immediate move into it is refused
r10 = 0
r0 = 0
exit
