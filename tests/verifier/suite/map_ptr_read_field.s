# type: socket_filter
# expect: accept
# about: reading max_entries of struct bpf_map (offset 76 on 6.18) through a map pointer is allowed with BTF (root)
.map m hash key=4 value=8 max_entries=16
r1 = m ll
r0 = *(u32 *)(r1 + 76)
exit
