/* An XDP load balancer: 5-tuple hash into a backend table, connection tracking in
 * an LRU map, IP-in-IP encapsulation with bpf_xdp_adjust_head and a rebuilt
 * outer header. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

#define MAX_BACKENDS 64

struct flow_key_ {
	u32 saddr, daddr;
	u16 sport, dport;
	u8 proto;
	u8 pad[3];
};

struct backend_ {
	u32 ip;
	u8 mac[6];
	u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, u32);
	__type(value, struct backend_);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key_);
	__type(value, u32);
} conntrack SEC(".maps");

const volatile u32 n_backends = 4;
const volatile u32 vip = 0x0a000001;

static __always_inline u32 hash_flow(const struct flow_key_ *k)
{
	u32 h = k->saddr ^ k->daddr ^ ((u32)k->sport << 16 | k->dport) ^ k->proto;
	h ^= h >> 16;
	h *= 0x45d9f3b;
	h ^= h >> 16;
	return h;
}

SEC("xdp")
int lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS_;
	if (ip->daddr != bpf_htonl(vip) || ip->ihl != 5)
		return XDP_PASS_;
	struct udphdr *l4 = (void *)(ip + 1);
	if ((void *)(l4 + 1) > data_end)
		return XDP_DROP_;
	struct flow_key_ k = {
		.saddr = ip->saddr, .daddr = ip->daddr,
		.sport = l4->source, .dport = l4->dest, .proto = ip->protocol,
	};
	u32 *idx = bpf_map_lookup_elem(&conntrack, &k);
	u32 b;
	if (idx) {
		b = *idx;
	} else {
		b = n_backends ? hash_flow(&k) % n_backends : 0;
		bpf_map_update_elem(&conntrack, &k, &b, BPF_ANY);
	}
	struct backend_ *be = bpf_map_lookup_elem(&backends, &b);
	if (!be)
		return XDP_DROP_;
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP_;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	struct ethhdr *neth = data;
	struct iphdr *outer = (void *)(neth + 1);
	struct iphdr *inner = (void *)(outer + 1);
	if ((void *)(inner + 1) > data_end)
		return XDP_DROP_;
	__builtin_memcpy(neth->h_dest, be->mac, 6);
	neth->h_proto = bpf_htons(ETH_P_IP);
	outer->version = 4;
	outer->ihl = 5;
	outer->ttl = 64;
	outer->protocol = 4; /* IPIP */
	outer->tot_len = bpf_htons(bpf_ntohs(inner->tot_len) + sizeof(struct iphdr));
	outer->saddr = inner->daddr;
	outer->daddr = be->ip;
	outer->check = 0;
	return XDP_TX_;
}

/* mistake: the backend index from the hash is not reduced below the table size,
 * then used to index a stack copy of the table */
SEC("xdp")
int lb_local_table(struct xdp_md *ctx)
{
	u32 table[MAX_BACKENDS] = {};
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS_;
	struct flow_key_ k = { .saddr = ip->saddr, .daddr = ip->daddr };
	return table[hash_flow(&k)] ? XDP_TX_ : XDP_PASS_;
}

/* mistake: modulo by a value that may be zero is fine in BPF (result 0), but an index
 * computed modulo n_backends + 1 can reach MAX_BACKENDS */
SEC("xdp")
int lb_modulo(struct xdp_md *ctx)
{
	u32 table[MAX_BACKENDS] = {};
	u32 h = bpf_get_prandom_u32();
	u32 n = n_backends & 127;
	return table[h % (n + 1)] ? XDP_TX_ : XDP_PASS_;
}
