/* Map element iterators: key/value pointers that are NULL at the end, sizes
 * checked by the kernel against the map the iterator is attached to. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

SEC("iter/bpf_map_elem")
int dump_elems(struct bpf_iter__bpf_map_elem *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	u32 *key = ctx->key;
	u64 *val = ctx->value;
	if (!key || !val)
		return 0;
	BPF_SEQ_PRINTF(seq, "%u: %llu\n", *key, *val);
	return 0;
}

SEC("iter/bpf_map")
int dump_maps(struct bpf_iter__bpf_map *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_map *map = ctx->map;
	if (!map)
		return 0;
	BPF_SEQ_PRINTF(seq, "%u %s %u\n", map->id, map->name, map->max_entries);
	return 0;
}

/* mistake: the key pointer is used before the NULL check */
SEC("iter/bpf_map_elem")
int dump_elems_nocheck(struct bpf_iter__bpf_map_elem *ctx)
{
	u32 *key = ctx->key;
	return *key == 0;
}

/* mistake: the map pointer of the map iterator is written */
SEC("iter/bpf_map")
int dump_maps_write(struct bpf_iter__bpf_map *ctx)
{
	struct bpf_map *map = ctx->map;
	if (!map)
		return 0;
	map->max_entries = 1;
	return 0;
}
