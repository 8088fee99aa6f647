# type: tracepoint
# expect: reject
# class: helper_mem_access
# insn: 10
# message: invalid access to map value, value_size=16 off=0 size=32
# message: R1 min value is outside of the allowed memory range
# about: bpf_probe_read_kernel of 32 bytes into a 16-byte map value
.map m array key=4 value=16 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = r0
r2 = 32
r3 = 0
call bpf_probe_read_kernel
out:
r0 = 0
exit
