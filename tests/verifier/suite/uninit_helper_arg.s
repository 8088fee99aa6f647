# type: socket_filter
# expect: reject
# class: uninit_register
# insn: 2
# message: R2 !read_ok
# about: bpf_map_lookup_elem reads R2, which was never written
.map m hash key=4 value=8 max_entries=16
r1 = m ll
call bpf_map_lookup_elem
r0 = 0
exit
