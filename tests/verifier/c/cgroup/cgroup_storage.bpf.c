/* Local storage maps from cgroup and sock programs: sk_storage, cgroup storage
 * and task storage with their get/delete helpers and flags. */
#include "corpus.h"

char LICENSE[] SEC("license") = "GPL";

struct conn_info {
	u64 bytes;
	u32 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct conn_info);
} sk_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, u64);
} cg_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, u64);
} task_count SEC(".maps");

SEC("cgroup_skb/egress")
int sk_bytes(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1;
	struct conn_info *ci = bpf_sk_storage_get(&sk_info, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!ci)
		return 1;
	ci->bytes += skb->len;
	ci->packets++;
	return 1;
}

/* mistake: skb->sk is passed without the NULL check */
SEC("cgroup_skb/egress")
int sk_bytes_nocheck(struct __sk_buff *skb)
{
	struct conn_info *ci = bpf_sk_storage_get(&sk_info, skb->sk, 0, 0);
	if (ci)
		ci->packets++;
	return 1;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cg_storage, struct cgroup *cgrp, const char *path)
{
	u64 *v = bpf_cgrp_storage_get(&cg_count, cgrp, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (v)
		*v += 1;
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(task_storage, struct task_struct *task, u64 clone_flags)
{
	u64 *v = bpf_task_storage_get(&task_count, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v)
		return 0;
	*v = clone_flags;
	return 0;
}

/* mistake: the storage pointer may be NULL */
SEC("tp_btf/task_newtask")
int BPF_PROG(task_storage_nocheck, struct task_struct *task, u64 clone_flags)
{
	u64 *v = bpf_task_storage_get(&task_count, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	*v = clone_flags;
	return 0;
}

/* mistake: the task argument of a raw tracepoint is not a trusted BTF pointer */
SEC("raw_tp/task_newtask")
int BPF_PROG(task_storage_raw, struct task_struct *task, u64 clone_flags)
{
	u64 *v = bpf_task_storage_get(&task_count, task, 0, 0);
	return v ? 1 : 0;
}
