/*
 * class: message: kernel: R1 type=scalar expected=ringbuf_mem / pybpf: invalid unbounded variable-offset read from stack R2
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f439, -mcpu=v2)
 * kernel: reject at 38: R1 type=scalar expected=ringbuf_mem
 * pybpf: reject at 47: invalid unbounded variable-offset read from stack R2
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_439_0(u32 i, u64 *c)
{
	c[i] += i;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb_439_1 SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int f439(void *ctx)
{
	u64 acc = 0;
	{
		u64 c_439_0[16] = {};
		bpf_loop(4, cb_439_0, c_439_0, 0);
		acc += c_439_0[0];
	}
	{
		char *r_439_1 = bpf_ringbuf_reserve(&rb_439_1, 8, 0);
		if (r_439_1) {
			*(u64 *)(r_439_1 + 0) = acc;
			bpf_ringbuf_submit(r_439_1, 0);
			bpf_ringbuf_discard(r_439_1, 0);
		}
	}
	return acc & 1;
}

