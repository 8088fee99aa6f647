/* Helpers called from program types that may not use them, and helper
 * arguments of the wrong kind: the mistakes a first program makes. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} h SEC(".maps");

/* mistake: packet helpers in a tracepoint */
SEC("tp/syscalls/sys_enter_getpid")
int skb_helper_in_tp(void *ctx)
{
	char b[4];
	bpf_skb_load_bytes(ctx, 0, b, 4);
	return 0;
}

/* mistake: bpf_get_current_pid_tgid is fine in XDP since 6.x? the kernel decides */
SEC("xdp")
int pid_in_xdp(struct xdp_md *ctx)
{
	return bpf_get_current_pid_tgid() ? XDP_PASS_ : XDP_DROP_;
}

/* mistake: a map pointer where the key should be */
SEC("tp/syscalls/sys_enter_getpid")
int map_as_key(void *ctx)
{
	u64 *v = bpf_map_lookup_elem(&h, &h);
	return v ? 1 : 0;
}

/* mistake: a key on the stack that is never written */
SEC("tp/syscalls/sys_enter_getpid")
int uninit_key(void *ctx)
{
	u32 key;
	u64 *v = bpf_map_lookup_elem(&h, &key);
	return v ? 1 : 0;
}

/* mistake: the value passed to update is smaller than the map's value size */
SEC("tp/syscalls/sys_enter_getpid")
int short_value(void *ctx)
{
	u32 key = 1, val = 2;
	bpf_map_update_elem(&h, &key, &val, BPF_ANY);
	return 0;
}

/* mistake: a scalar where a map is expected */
SEC("tp/syscalls/sys_enter_getpid")
int scalar_map(void *ctx)
{
	u32 key = 1;
	void *m = (void *)(long)bpf_get_prandom_u32();
	return bpf_map_lookup_elem(m, &key) != 0;
}

/* mistake: bpf_trace_printk's format must be a constant string in a map or stack */
SEC("tp/syscalls/sys_enter_getpid")
int printk_ok(void *ctx)
{
	bpf_printk("pid %d", bpf_get_current_pid_tgid() >> 32);
	return 0;
}

/* mistake: a GPL-only helper in a program under a non-GPL license would be refused;
 * here the license is GPL, and bpf_probe_write_user is allowed but warned about */
SEC("tp/syscalls/sys_enter_getpid")
int write_user(void *ctx)
{
	u64 v = 0;
	bpf_probe_write_user((void *)0x1000, &v, sizeof(v));
	return 0;
}

/* mistake: bpf_send_signal from a socket filter */
SEC("socket")
int signal_in_socket(struct __sk_buff *skb)
{
	bpf_send_signal(9);
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int signal_in_tp(void *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) == 1)
		bpf_send_signal(0);
	return 0;
}
