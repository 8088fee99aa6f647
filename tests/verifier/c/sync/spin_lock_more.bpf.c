/* Spin locks in other places: an array map, a nested struct, a lock held across a
 * branch, a global-data lock, and the helper/kfunc restrictions inside. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct inner_ {
	u64 a, b;
};

struct locked {
	u32 pad;
	struct bpf_spin_lock lock;
	struct inner_ in;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, struct locked);
} arr SEC(".maps");

SEC("tc")
int array_lock(struct __sk_buff *skb)
{
	u32 k = skb->len & 3;
	struct locked *v = bpf_map_lookup_elem(&arr, &k);
	if (!v)
		return TC_ACT_OK_;
	bpf_spin_lock(&v->lock);
	if (v->in.a > 10)
		v->in.b++;
	else
		v->in.a++;
	bpf_spin_unlock(&v->lock);
	return TC_ACT_OK_;
}

/* mistake: locking a lock that is already held */
SEC("tc")
int double_lock(struct __sk_buff *skb)
{
	u32 k = 0;
	struct locked *v = bpf_map_lookup_elem(&arr, &k);
	if (!v)
		return TC_ACT_OK_;
	bpf_spin_lock(&v->lock);
	bpf_spin_lock(&v->lock);
	bpf_spin_unlock(&v->lock);
	return TC_ACT_OK_;
}

/* mistake: unlocking a lock that is not held */
SEC("tc")
int unlock_unheld(struct __sk_buff *skb)
{
	u32 k = 0;
	struct locked *v = bpf_map_lookup_elem(&arr, &k);
	if (!v)
		return TC_ACT_OK_;
	bpf_spin_unlock(&v->lock);
	return TC_ACT_OK_;
}

/* mistake: the lock pointer is not at the lock's offset */
SEC("tc")
int wrong_offset(struct __sk_buff *skb)
{
	u32 k = 0;
	struct locked *v = bpf_map_lookup_elem(&arr, &k);
	if (!v)
		return TC_ACT_OK_;
	bpf_spin_lock((struct bpf_spin_lock *)&v->in);
	bpf_spin_unlock((struct bpf_spin_lock *)&v->in);
	return TC_ACT_OK_;
}

/* mistake: a bpf-to-bpf call while holding the lock */
static __noinline int bump(struct locked *v)
{
	v->in.a++;
	return 0;
}

SEC("tc")
int call_under_lock(struct __sk_buff *skb)
{
	u32 k = 0;
	struct locked *v = bpf_map_lookup_elem(&arr, &k);
	if (!v)
		return TC_ACT_OK_;
	bpf_spin_lock(&v->lock);
	bump(v);
	bpf_spin_unlock(&v->lock);
	return TC_ACT_OK_;
}

/* bpf_map_update_elem with BPF_F_LOCK from the program */
SEC("tc")
int update_with_lock_flag(struct __sk_buff *skb)
{
	u32 k = 1;
	struct locked val = {};
	val.in.a = skb->len;
	bpf_map_update_elem(&arr, &k, &val, BPF_F_LOCK);
	return TC_ACT_OK_;
}
