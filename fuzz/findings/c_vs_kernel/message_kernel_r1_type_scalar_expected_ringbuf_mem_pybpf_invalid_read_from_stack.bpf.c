/*
 * class: message: kernel: R1 type=scalar expected=ringbuf_mem / pybpf: invalid read from stack R1 off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1961, -mcpu=v3)
 * kernel: reject at 34: R1 type=scalar expected=ringbuf_mem
 * pybpf: reject at 41: invalid read from stack R1 off=0 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_1961_0(u64 *p)
{
	u64 s = 0;
	for (int i = 0; i < 3; i++)
		s += p[i];
	return s;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[16]);
} pa_1961_1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb_1961_2 SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int f1961(void *ctx)
{
	u64 acc = 0;
	{
		u64 a_1961_0[2] = {};
		acc += g_1961_0(a_1961_0);
	}
	{
		u32 z_1961_1 = 0;
		char *p_1961_1 = bpf_map_lookup_elem(&pa_1961_1, &z_1961_1);
		if (p_1961_1) {
			u32 o_1961_1 = (u32)bpf_get_prandom_u32() & 7;
			acc += *(u32 *)(p_1961_1 + o_1961_1);
		}
	}
	{
		char *r_1961_2 = bpf_ringbuf_reserve(&rb_1961_2, 16, 0);
		if (r_1961_2) {
			*(u64 *)(r_1961_2 + 8) = acc;
			bpf_ringbuf_submit(r_1961_2, 0);
			bpf_ringbuf_discard(r_1961_2, 0);
		}
	}
	return acc & 1;
}

