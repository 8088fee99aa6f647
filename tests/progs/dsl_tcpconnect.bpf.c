// C twin of examples/tcpconnect.py (for benchmarks/dsl.py).
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct who { __u32 pid; __u64 ts; char comm[16]; };
struct conn { __u32 pid; __u16 sport, dport; __u8 saddr[4], daddr[4]; __u64 lat_ns; char comm[16]; };
struct state_ctx {
	__u64 common; __u64 skaddr; __s32 oldstate, newstate;
	__u16 sport, dport, family, protocol; __u8 saddr[4], daddr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct who);
} connecting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} events SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int on_state(struct state_ctx *ctx)
{
	__u64 sk = ctx->skaddr;
	struct who *w;

	if (ctx->protocol != 6 || ctx->family != 2)
		return 0;
	if (ctx->oldstate == 7 && ctx->newstate == 2) {
		struct who n = {};

		n.pid = bpf_get_current_pid_tgid() >> 32;
		n.ts = bpf_ktime_get_ns();
		bpf_get_current_comm(&n.comm, sizeof(n.comm));
		bpf_map_update_elem(&connecting, &sk, &n, BPF_ANY);
		return 0;
	}
	if (ctx->oldstate != 2)
		return 0;
	w = bpf_map_lookup_elem(&connecting, &sk);
	if (!w)
		return 0;
	if (ctx->newstate == 1) {
		struct conn e = {};

		e.pid = w->pid;
		__builtin_memcpy(e.comm, w->comm, sizeof(e.comm));
		e.sport = ctx->sport;
		e.dport = ctx->dport;
		__builtin_memcpy(e.saddr, ctx->saddr, 4);
		__builtin_memcpy(e.daddr, ctx->daddr, 4);
		e.lat_ns = bpf_ktime_get_ns() - w->ts;
		bpf_ringbuf_output(&events, &e, sizeof(e), 0);
	}
	bpf_map_delete_elem(&connecting, &sk);
	return 0;
}
