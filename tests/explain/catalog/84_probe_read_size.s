// message: stack_bounds
// kind: program
// type: raw_tracepoint
// hint: if r2 > N goto
.map reqs hash key=4 value=16 max_entries=64
*(u32 *)(r10 - 4) = 0
r2 = r10
r2 += -4
r1 = reqs ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r2 = *(u32 *)(r0 + 8)
if r2 > 64 goto out // ROOT // bad
if r2 > 32 goto out // fix
r3 = *(u64 *)(r0 + 0)
r1 = r10
r1 += -40
call bpf_probe_read_kernel // FAIL
out:
r0 = 0
exit
