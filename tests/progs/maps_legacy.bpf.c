// The legacy "maps" section (struct bpf_map_def), still found in older objects.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def_legacy {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def_legacy legacy_hash SEC("maps") = {
	.type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 8, .max_entries = 16,
};
struct bpf_map_def_legacy legacy_array SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 2,
};

char LICENSE[] SEC("license") = "GPL";

SEC("socket")
int legacy_prog(struct __sk_buff *skb)
{
	__u32 k = 1;
	__u64 one = 1;
	bpf_map_update_elem(&legacy_hash, &k, &one, BPF_ANY);
	__u32 *v = bpf_map_lookup_elem(&legacy_array, &k);
	return v ? *v : 0;
}
