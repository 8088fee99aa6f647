# type: xdp
# expect: accept
# found: fuzz/verifier_vs_kernel.py --duration 1800 --seed 17001 (class D2, 1 program)
# fixed: pybpf.verifier.bounds.coerce_to_size_sx takes the range of a subregister already in the narrow type's range (measured on this kernel, see movsx_subreg_range.s)
# about: after `if w7 > 0` on a u32 from bpf_get_prandom_u32 the kernel knows r7 is 0, and its 64-bit sign extension from 8 (or 16) bits keeps it 0 (coerce_reg_to_size_sx on a constant); pybpf's r7 = (s8)r7 leaves a negative minimum, so the map value pointer plus r7 is refused (r7 = (s32)r7, w7 = (s8)w7 and a shift pair agree with the kernel)
.map m3 lru_hash key=4 value=256 max_entries=4
call bpf_get_prandom_u32
r7 = r0
if w7 > 0 goto bd_end2
r7 = (s8)r7
r2 = r10
r2 += -4
r1 = m3 ll
call bpf_map_lookup_elem
if r0 != 0 goto +1
goto bd_end2
r0 += r7
r1 = *(u8 *)(r0 + 0)
bd_end2:
exit
