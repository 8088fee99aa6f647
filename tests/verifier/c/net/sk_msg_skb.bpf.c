/* sk_msg and sk_skb verdict programs over a sockhash: redirects, data access
 * bounded by data_end, and the pull helpers. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 128);
	__type(key, u32);
	__type(value, u64);
} peers SEC(".maps");

SEC("sk_msg")
int msg_redirect(struct sk_msg_md *msg)
{
	u32 key = msg->remote_port;
	return bpf_msg_redirect_hash(msg, &peers, &key, BPF_F_INGRESS);
}

SEC("sk_msg")
int msg_peek(struct sk_msg_md *msg)
{
	if (bpf_msg_pull_data(msg, 0, 4, 0))
		return SK_PASS;
	void *data = msg->data;
	void *data_end = msg->data_end;
	if (data + 4 > data_end)
		return SK_PASS;
	return *(u32 *)data == 0xdeadbeef ? SK_DROP : SK_PASS;
}

/* mistake: sk_msg data read without the data_end check */
SEC("sk_msg")
int msg_peek_nocheck(struct sk_msg_md *msg)
{
	u8 *data = msg->data;
	return data[0] == 0 ? SK_DROP : SK_PASS;
}

SEC("sk_skb/stream_verdict")
int skb_verdict(struct __sk_buff *skb)
{
	u32 key = skb->local_port;
	return bpf_sk_redirect_hash(skb, &peers, &key, 0);
}

SEC("sk_skb/stream_parser")
int skb_parser(struct __sk_buff *skb)
{
	return skb->len;
}
