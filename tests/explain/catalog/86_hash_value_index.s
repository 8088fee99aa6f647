// message: map_value_access
// kind: program
// type: raw_tracepoint
// hint: if r6 > N goto
.map slot_of hash key=4 value=4 max_entries=1024
.map table array key=4 value=128 max_entries=1
call bpf_get_current_pid_tgid
r0 >>= 32
*(u32 *)(r10 - 4) = r0
r2 = r10
r2 += -4
r1 = slot_of ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = *(u32 *)(r0 + 0)
*(u32 *)(r10 - 8) = 0
r2 = r10
r2 += -8
r1 = table ll
call bpf_map_lookup_elem
if r0 == 0 goto out
if r6 > 16 goto out // ROOT // bad
if r6 >= 16 goto out // fix
r6 <<= 3
r0 += r6
r1 = *(u64 *)(r0 + 0) // FAIL
r1 += 1
*(u64 *)(r0 + 0) = r1
out:
r0 = 0
exit
