/*
 * class: message: kernel: The sequence of N jumps is too complex. / pybpf: invalid unbounded variable-offset read from stack R2
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f3204, -mcpu=v3)
 * kernel: reject at 37: The sequence of 8193 jumps is too complex.
 * pybpf: reject at 48: invalid unbounded variable-offset read from stack R2
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_3204_0(u32 i, u64 *c)
{
	c[i] += i;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb_3204_1 SEC(".maps");

SEC("xdp")
int f3204(struct xdp_md *ctx)
{
	u64 acc = 0;
	{
		u64 c_3204_0[8] = {};
		bpf_loop(4, cb_3204_0, c_3204_0, 0);
		acc += c_3204_0[0];
	}
	{
		char *r_3204_1 = bpf_ringbuf_reserve(&rb_3204_1, 16, 0);
		if (r_3204_1) {
			*(u64 *)(r_3204_1 + 8) = acc;
			bpf_ringbuf_submit(r_3204_1, 0);
		}
	}
	{
		u32 n_3204_2 = (u32)bpf_get_prandom_u32();
		for (u32 i_3204_2 = 0; i_3204_2 < n_3204_2 && i_3204_2 < 100000; i_3204_2++)
			acc = (acc << 1) ^ i_3204_2;
	}
	return (acc & 1) + 1;
}

