/* bpf_timer in map values: init, set callback, start; the callback's own frame. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define CLOCK_MONOTONIC_ 1

struct elem {
	struct bpf_timer t;
	u64 fired;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, int);
	__type(value, struct elem);
} timers SEC(".maps");

u64 callbacks;

static int timer_cb(void *map, int *key, struct elem *val)
{
	val->fired++;
	__sync_fetch_and_add(&callbacks, 1);
	return 0;
}

SEC("tc")
int tc_arm_timer(struct __sk_buff *skb)
{
	int key = 0;
	struct elem *e = bpf_map_lookup_elem(&timers, &key);
	if (!e)
		return TC_ACT_OK_;
	bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC_);
	bpf_timer_set_callback(&e->t, timer_cb);
	bpf_timer_start(&e->t, 1000000, 0);
	return TC_ACT_OK_;
}

/* a callback that re-arms its own timer */
static int rearm_cb(void *map, int *key, struct elem *val)
{
	if (val->fired++ < 10)
		bpf_timer_start(&val->t, 1000, 0);
	return 0;
}

SEC("tc")
int tc_rearm(struct __sk_buff *skb)
{
	int key = 1;
	struct elem *e = bpf_map_lookup_elem(&timers, &key);
	if (!e)
		return TC_ACT_OK_;
	bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC_);
	bpf_timer_set_callback(&e->t, rearm_cb);
	bpf_timer_start(&e->t, 0, 0);
	return TC_ACT_OK_;
}

/* mistake: the timer callback returns a value outside [0, 0] */
static int bad_ret_cb(void *map, int *key, struct elem *val)
{
	return 1;
}

SEC("tc")
int tc_bad_cb_ret(struct __sk_buff *skb)
{
	int key = 0;
	struct elem *e = bpf_map_lookup_elem(&timers, &key);
	if (!e)
		return TC_ACT_OK_;
	bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC_);
	bpf_timer_set_callback(&e->t, bad_ret_cb);
	return TC_ACT_OK_;
}

/* mistake: a timer on the stack instead of in a map value */
SEC("tc")
int tc_stack_timer(struct __sk_buff *skb)
{
	struct bpf_timer t = {};
	bpf_timer_init(&t, &timers, CLOCK_MONOTONIC_);
	return TC_ACT_OK_;
}

/* mistake: the callback reads its value argument out of bounds */
static int oob_cb(void *map, int *key, struct elem *val)
{
	return *(u64 *)((char *)val + sizeof(*val));
}

SEC("tc")
int tc_oob_cb(struct __sk_buff *skb)
{
	int key = 0;
	struct elem *e = bpf_map_lookup_elem(&timers, &key);
	if (!e)
		return TC_ACT_OK_;
	bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC_);
	bpf_timer_set_callback(&e->t, oob_cb);
	return TC_ACT_OK_;
}
