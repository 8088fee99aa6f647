/* More dynptrs: adjust/size/is_null on skb dynptrs, slices at variable offsets,
 * and a dynptr used after the ring-buffer record was submitted. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("tc")
int skb_adjust(struct __sk_buff *skb)
{
	struct bpf_dynptr p;
	u8 buf[4];
	if (bpf_dynptr_from_skb(skb, 0, &p))
		return TC_ACT_OK_;
	if (bpf_dynptr_size(&p) < ETH_HLEN + 4)
		return TC_ACT_OK_;
	if (bpf_dynptr_adjust(&p, ETH_HLEN, ETH_HLEN + 4))
		return TC_ACT_OK_;
	u8 *v = bpf_dynptr_slice(&p, 0, buf, sizeof(buf));
	if (!v)
		return TC_ACT_OK_;
	return (v[0] >> 4) == 4 ? TC_ACT_OK_ : TC_ACT_SHOT_;
}

SEC("tc")
int skb_var_slice(struct __sk_buff *skb)
{
	struct bpf_dynptr p;
	u8 buf[2];
	if (bpf_dynptr_from_skb(skb, 0, &p))
		return TC_ACT_OK_;
	u32 off = skb->len & 0x3f;
	u8 *v = bpf_dynptr_slice(&p, off, buf, sizeof(buf));
	if (!v)
		return TC_ACT_OK_;
	return v[1] & 1;
}

/* mistake: the slice is read past the size that was asked for */
SEC("tc")
int skb_slice_overread(struct __sk_buff *skb)
{
	struct bpf_dynptr p;
	u8 buf[2];
	if (bpf_dynptr_from_skb(skb, 0, &p))
		return TC_ACT_OK_;
	u8 *v = bpf_dynptr_slice(&p, 0, buf, sizeof(buf));
	if (!v)
		return TC_ACT_OK_;
	return v[2];
}

/* mistake: the buffer size is not a constant */
SEC("tc")
int skb_slice_varsize(struct __sk_buff *skb)
{
	struct bpf_dynptr p;
	u8 buf[16];
	if (bpf_dynptr_from_skb(skb, 0, &p))
		return TC_ACT_OK_;
	u8 *v = bpf_dynptr_slice(&p, 0, buf, skb->len & 15);
	return v ? v[0] : 0;
}

/* mistake: the ring-buffer dynptr is used after it was submitted */
SEC("tp/syscalls/sys_enter_getpid")
int rb_use_after_submit(void *ctx)
{
	struct bpf_dynptr p;
	u64 v = 1;
	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &p);
	bpf_ringbuf_submit_dynptr(&p, 0);
	bpf_dynptr_write(&p, 0, &v, sizeof(v), 0);
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int rb_is_null(void *ctx)
{
	struct bpf_dynptr p;
	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &p);
	if (bpf_dynptr_is_null(&p)) {
		bpf_ringbuf_discard_dynptr(&p, 0);
		return 0;
	}
	bpf_ringbuf_submit_dynptr(&p, 0);
	return 1;
}
