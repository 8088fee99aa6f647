/* Open-coded numbers iterators: sums over ranges, nested iterators, and a
 * missing destroy. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 128);
	__type(key, u32);
	__type(value, u64);
} vals SEC(".maps");

SEC("raw_tp/sys_enter")
int sum_values(void *ctx)
{
	u64 sum = 0;
	int i;
	corpus_for(i, 0, 128) {
		u32 k = i;
		u64 *v = bpf_map_lookup_elem(&vals, &k);
		if (v)
			sum += *v;
	}
	return sum > 1000;
}

SEC("raw_tp/sys_enter")
int nested_iters(void *ctx)
{
	u64 sum = 0;
	int i, j;
	corpus_for(i, 0, 8) {
		corpus_for(j, 0, 8) {
			sum += i * j;
		}
	}
	return sum & 1;
}

/* iterate and index a stack array with the iterator's value */
SEC("raw_tp/sys_enter")
int iter_index_stack(void *ctx)
{
	u32 buf[16] = {};
	int i;
	corpus_for(i, 0, 16)
		buf[i] = i * 2;
	return buf[5];
}

/* mistake: the iterator's value is not bounded by the iterator: it indexes past the array */
SEC("raw_tp/sys_enter")
int iter_index_oob(void *ctx)
{
	u32 buf[16] = {};
	struct bpf_iter_num it;
	int *n;
	bpf_iter_num_new(&it, 0, 32);
	while ((n = bpf_iter_num_next(&it)))
		buf[*n] = 1;
	bpf_iter_num_destroy(&it);
	return buf[1];
}

/* mistake: the iterator is never destroyed */
SEC("raw_tp/sys_enter")
int iter_no_destroy(void *ctx)
{
	struct bpf_iter_num it;
	int *n, s = 0;
	bpf_iter_num_new(&it, 0, 4);
	while ((n = bpf_iter_num_next(&it)))
		s += *n;
	return s;
}
