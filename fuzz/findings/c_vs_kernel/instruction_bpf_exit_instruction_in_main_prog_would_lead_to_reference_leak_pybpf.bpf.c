/*
 * class: instruction: BPF_EXIT instruction in main prog would lead to reference leak (pybpf names another instruction)
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f88, -mcpu=v4)
 * kernel: reject at 14: Unreleased reference id=3 alloc_insn=10
 * BPF_EXIT instruction in main prog would lead to reference leak
 * pybpf: reject at 14: Unreleased reference id=2 alloc_insn=10
 * BPF_EXIT instruction in main prog would lead to reference leak
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

__noinline_ u64 g_88_1(u64 *p)
{
	if (!p)
		return 0;
	u64 s = 0;
	for (int i = 0; i < 2; i++)
		s += p[i];
	return s;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb_88_2 SEC(".maps");

SEC("xdp")
int f88(struct xdp_md *ctx)
{
	u64 acc = 0;
	{
		u64 a_88_1[2] = {};
		acc += g_88_1(a_88_1);
	}
	{
		char *r_88_2 = bpf_ringbuf_reserve(&rb_88_2, 8, 0);
		if (r_88_2) {
			*(u64 *)(r_88_2 + 0) = acc;
		}
	}
	return acc;
}

