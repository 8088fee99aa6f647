// SPDX-License-Identifier: GPL-2.0
/* Two programs and a map: the ELF input of tests/cli (every command takes every input). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline void count(void)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int pass_all(struct xdp_md *ctx)
{
	count();
	return XDP_PASS;
}

SEC("tp/syscalls/sys_enter_getppid")
int count_getppid(void *ctx)
{
	count();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
