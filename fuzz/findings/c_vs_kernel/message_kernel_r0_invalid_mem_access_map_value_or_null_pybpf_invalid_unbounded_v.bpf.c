/*
 * class: message: kernel: R0 invalid mem access 'map_value_or_null' / pybpf: invalid unbounded variable-offset read from stack R2
 * found by: fuzz/c_vs_kernel.py --seed 1 (program f1481, -mcpu=v4)
 * kernel: reject at 30: R0 invalid mem access 'map_value_or_null'
 * pybpf: reject at 37: invalid unbounded variable-offset read from stack R2
 */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

static int cb_1481_0(u32 i, u64 *c)
{
	c[i] += i;
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, char[8]);
} m_1481_1 SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int f1481(void *ctx)
{
	u64 acc = 0;
	{
		u64 c_1481_0[16] = {};
		bpf_loop(4, cb_1481_0, c_1481_0, 0);
		acc += c_1481_0[0];
	}
	{
		u32 k_1481_1 = 1;
		char *v_1481_1 = bpf_map_lookup_elem(&m_1481_1, &k_1481_1);
		*(u64 *)(v_1481_1 + 0) = acc;
	}
	return (int)acc;
}

