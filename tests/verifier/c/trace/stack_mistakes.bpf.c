/* Stack mistakes: reads of bytes never written, out-of-frame accesses through
 * computed offsets, misaligned and partially initialized buffers. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} knob SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct rec {
	u32 a;
	u16 b;
	u64 c;
};

/* mistake: a struct with padding bytes never written is copied out */
SEC("tp/syscalls/sys_enter_getpid")
int padding_out(void *ctx)
{
	struct rec r;
	r.a = 1;
	r.b = 2;
	r.c = 3;
	bpf_ringbuf_output(&rb, &r, sizeof(r), 0);
	return 0;
}

/* the same with the struct zeroed first */
SEC("tp/syscalls/sys_enter_getpid")
int padding_zeroed(void *ctx)
{
	struct rec r;
	__builtin_memset(&r, 0, sizeof(r));
	r.a = 1;
	r.b = 2;
	r.c = 3;
	bpf_ringbuf_output(&rb, &r, sizeof(r), 0);
	return 0;
}

/* mistake: one element of the array is read before any is written */
SEC("tp/syscalls/sys_enter_getpid")
int uninit_elem(void *ctx)
{
	u64 a[4];
	a[0] = 1;
	a[1] = 2;
	return a[2];
}

/* mistake: a variable index into a stack buffer without a bound */
SEC("tp/syscalls/sys_enter_getpid")
int var_index(void *ctx)
{
	u32 zero = 0;
	u32 *k = bpf_map_lookup_elem(&knob, &zero);
	if (!k)
		return 0;
	char b[64] = {};
	return b[*k];
}

/* a variable index, bounded: allowed for reads of an initialized buffer */
SEC("tp/syscalls/sys_enter_getpid")
int var_index_bounded(void *ctx)
{
	u32 zero = 0;
	u32 *k = bpf_map_lookup_elem(&knob, &zero);
	if (!k)
		return 0;
	char b[64] = {};
	return b[*k & 63];
}

/* a variable index write then read */
SEC("tp/syscalls/sys_enter_getpid")
int var_index_write(void *ctx)
{
	u32 zero = 0;
	u32 *k = bpf_map_lookup_elem(&knob, &zero);
	if (!k)
		return 0;
	char b[64] = {};
	b[*k & 63] = 1;
	return b[0];
}

/* mistake: pointer arithmetic that leaves the frame */
SEC("tp/syscalls/sys_enter_getpid")
int below_frame(void *ctx)
{
	char b[16] = {};
	volatile char *p = b;
	return p[-600];
}

/* mistake: a stack pointer is stored into a map value (leaks a kernel address) */
SEC("tp/syscalls/sys_enter_getpid")
int leak_fp(void *ctx)
{
	u32 zero = 0;
	u64 *v = bpf_map_lookup_elem(&knob, &zero);
	u64 local = 0;
	if (!v)
		return 0;
	*(u64 **)v = &local;
	return 0;
}
