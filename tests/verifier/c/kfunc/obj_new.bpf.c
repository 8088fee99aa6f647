/* Program-allocated objects: bpf_obj_new / bpf_obj_drop and kptr stashing. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct node_data {
	long key;
	long data;
};

struct map_value {
	struct node_data __kptr_ref_ *node;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct map_value);
} stash SEC(".maps");

SEC("tc")
int new_drop(struct __sk_buff *skb)
{
	struct node_data *n = corpus_obj_new(struct node_data);
	if (!n)
		return TC_ACT_OK_;
	n->key = skb->len;
	n->data = 1;
	corpus_obj_drop(n);
	return TC_ACT_OK_;
}

SEC("tc")
int new_stash(struct __sk_buff *skb)
{
	int key = 0;
	struct map_value *v = bpf_map_lookup_elem(&stash, &key);
	if (!v)
		return TC_ACT_OK_;
	struct node_data *n = corpus_obj_new(struct node_data);
	if (!n)
		return TC_ACT_OK_;
	n->key = skb->len;
	n = bpf_kptr_xchg(&v->node, n);
	if (n)
		corpus_obj_drop(n);
	return TC_ACT_OK_;
}

/* mistake: the allocated object leaks */
SEC("tc")
int new_leak(struct __sk_buff *skb)
{
	struct node_data *n = corpus_obj_new(struct node_data);
	if (!n)
		return TC_ACT_OK_;
	n->key = 1;
	return TC_ACT_OK_;
}

/* mistake: use after drop */
SEC("tc")
int use_after_drop(struct __sk_buff *skb)
{
	struct node_data *n = corpus_obj_new(struct node_data);
	if (!n)
		return TC_ACT_OK_;
	corpus_obj_drop(n);
	return n->key;
}

/* mistake: the stashed kptr is read directly and dereferenced without a NULL check */
SEC("tc")
int kptr_direct(struct __sk_buff *skb)
{
	int key = 0;
	struct map_value *v = bpf_map_lookup_elem(&stash, &key);
	if (!v)
		return TC_ACT_OK_;
	struct node_data *n = v->node;
	return n->key;
}
