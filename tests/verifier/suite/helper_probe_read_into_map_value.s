# type: tracepoint
# expect: accept
# about: bpf_probe_read_kernel into a map value of exactly the size read
.map m array key=4 value=16 max_entries=1
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = m ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = r0
r2 = 16
r3 = 0
call bpf_probe_read_kernel
out:
r0 = 0
exit
