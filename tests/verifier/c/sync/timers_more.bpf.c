/* Timers in hash maps, bpf_timer_cancel, and the callback's view of its map. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define CLOCK_BOOTTIME_ 7

struct session {
	struct bpf_timer expire;
	u64 last_seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct session);
} sessions SEC(".maps");

static int expire_cb(void *map, u32 *key, struct session *s)
{
	bpf_map_delete_elem(map, key);
	return 0;
}

SEC("xdp")
int xdp_session(struct xdp_md *ctx)
{
	u32 key = ctx->rx_queue_index;
	struct session *s = bpf_map_lookup_elem(&sessions, &key);
	if (!s) {
		struct session init = {};
		bpf_map_update_elem(&sessions, &key, &init, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&sessions, &key);
		if (!s)
			return XDP_PASS_;
		bpf_timer_init(&s->expire, &sessions, CLOCK_BOOTTIME_);
		bpf_timer_set_callback(&s->expire, expire_cb);
	}
	s->last_seen = bpf_ktime_get_ns();
	bpf_timer_start(&s->expire, 5000000000ULL, 0);
	return XDP_PASS_;
}

SEC("xdp")
int xdp_cancel(struct xdp_md *ctx)
{
	u32 key = ctx->rx_queue_index;
	struct session *s = bpf_map_lookup_elem(&sessions, &key);
	if (s)
		bpf_timer_cancel(&s->expire);
	return XDP_PASS_;
}

/* mistake: the timer is initialised with another map than the one holding it */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct session);
} other SEC(".maps");

SEC("xdp")
int xdp_timer_wrong_map(struct xdp_md *ctx)
{
	u32 key = 0;
	struct session *s = bpf_map_lookup_elem(&sessions, &key);
	if (!s)
		return XDP_PASS_;
	bpf_timer_init(&s->expire, &other, CLOCK_BOOTTIME_);
	return XDP_PASS_;
}

/* mistake: an unsupported clock id */
SEC("xdp")
int xdp_timer_bad_clock(struct xdp_md *ctx)
{
	u32 key = 0;
	struct session *s = bpf_map_lookup_elem(&other, &key);
	if (!s)
		return XDP_PASS_;
	bpf_timer_init(&s->expire, &other, 11);
	return XDP_PASS_;
}

/* mistake: the callback has the wrong number of arguments used as pointers */
static int cb_reads_ctx(void *map, u32 *key, struct session *s)
{
	return *(int *)((char *)key + 64);
}

SEC("xdp")
int xdp_cb_key_oob(struct xdp_md *ctx)
{
	u32 key = 0;
	struct session *s = bpf_map_lookup_elem(&other, &key);
	if (!s)
		return XDP_PASS_;
	bpf_timer_init(&s->expire, &other, CLOCK_BOOTTIME_);
	bpf_timer_set_callback(&s->expire, cb_reads_ctx);
	return XDP_PASS_;
}
