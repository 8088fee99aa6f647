/*
 * class: message: kernel: invalid unbounded variable-offset read from stack R2 / pybpf: invalid variable-offset read from stack R2 var_off=(N; N) off=N size=N
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f815, -mcpu=v3)
 * kernel: reject at 77: invalid unbounded variable-offset read from stack R2
 * pybpf: reject at 68: invalid variable-offset read from stack R2 var_off=(0x0; 0xf8) off=-128 size=8
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_815_0(u32 i, u64 *c)
{
	c[i & 31] += i;
	return 2;
}

static int cb_815_1(u32 i, u64 *c)
{
	c[i] += i;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb_815_2 SEC(".maps");

SEC("raw_tp/sched_switch")
int f815(u64 *ctx)
{
	u64 acc = 0;
	{
		u64 c_815_0[16] = {};
		bpf_loop(100, cb_815_0, c_815_0, 0);
		acc += c_815_0[0];
	}
	{
		u64 c_815_1[16] = {};
		bpf_loop(4, cb_815_1, c_815_1, 0);
		acc += c_815_1[0];
	}
	{
		char *r_815_2 = bpf_ringbuf_reserve(&rb_815_2, 8, 0);
		if (r_815_2) {
			*(u64 *)(r_815_2 + 0) = acc;
			bpf_ringbuf_submit(r_815_2, 0);
		}
	}
	return acc != 0;
}

