# type: socket_filter
# expect: reject
# class: unknown_helper
# insn: 0
# message: invalid func unknown#100000
# about: helper id 100000 does not exist
call 100000
r0 = 0
exit
