// message: helper_invalid
// kind: environment
// type: socket_filter
// hint: kernel version
call 999 // FAIL // bad
r0 = 0
exit
