# type: socket_filter
# expect: reject
# class: unknown_helper
# insn: 0
# message: invalid func unknown#999
# about: helper id 999 does not exist
call 999
r0 = 0
exit
