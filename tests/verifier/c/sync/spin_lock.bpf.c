/* bpf_spin_lock in map values: counters updated under the lock, and what the
 * verifier refuses inside a locked region. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct flow_ctrs {
	struct bpf_spin_lock lock;
	u64 packets;
	u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct flow_ctrs);
} stats SEC(".maps");

SEC("tc")
int tc_locked_count(struct __sk_buff *skb)
{
	u32 key = skb->ifindex;
	struct flow_ctrs *s = bpf_map_lookup_elem(&stats, &key);
	if (!s) {
		struct flow_ctrs init = {};
		bpf_map_update_elem(&stats, &key, &init, BPF_NOEXIST);
		return TC_ACT_OK_;
	}
	bpf_spin_lock(&s->lock);
	s->packets++;
	s->bytes += skb->len;
	bpf_spin_unlock(&s->lock);
	return TC_ACT_OK_;
}

/* mistake: the lock is still held at exit */
SEC("tc")
int tc_lock_held(struct __sk_buff *skb)
{
	u32 key = skb->ifindex;
	struct flow_ctrs *s = bpf_map_lookup_elem(&stats, &key);
	if (!s)
		return TC_ACT_OK_;
	bpf_spin_lock(&s->lock);
	s->packets++;
	if (s->packets > 100)
		return TC_ACT_SHOT_;
	bpf_spin_unlock(&s->lock);
	return TC_ACT_OK_;
}

/* mistake: a helper call while the lock is held */
SEC("tc")
int tc_call_under_lock(struct __sk_buff *skb)
{
	u32 key = skb->ifindex;
	struct flow_ctrs *s = bpf_map_lookup_elem(&stats, &key);
	if (!s)
		return TC_ACT_OK_;
	bpf_spin_lock(&s->lock);
	s->bytes = bpf_ktime_get_ns();
	bpf_spin_unlock(&s->lock);
	return TC_ACT_OK_;
}

/* mistake: the lock word itself is read directly */
SEC("tc")
int tc_read_lock_word(struct __sk_buff *skb)
{
	u32 key = skb->ifindex;
	struct flow_ctrs *s = bpf_map_lookup_elem(&stats, &key);
	if (!s)
		return TC_ACT_OK_;
	return *(u32 *)&s->lock;
}

/* mistake: spin locks are not allowed in tracing programs of this kind */
SEC("tp/syscalls/sys_enter_getpid")
int tp_spin_lock(void *ctx)
{
	u32 key = 0;
	struct flow_ctrs *s = bpf_map_lookup_elem(&stats, &key);
	if (!s)
		return 0;
	bpf_spin_lock(&s->lock);
	s->packets++;
	bpf_spin_unlock(&s->lock);
	return 0;
}
