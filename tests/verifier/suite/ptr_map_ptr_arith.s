# type: socket_filter
# expect: reject
# class: pointer_arith_prohibited
# insn: 2
# message: R1 pointer arithmetic on map_ptr prohibited
# about: arithmetic on a map pointer is prohibited
.map m hash key=4 value=8 max_entries=16
r1 = m ll
r1 += 8
r0 = 0
exit
