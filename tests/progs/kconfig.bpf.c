// .kconfig externs: kernel configuration values read as constants.
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>


extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_HZ __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_KPROBES __kconfig __weak;   /* not set here: 0 */
extern int CONFIG_PYBPF_DOES_NOT_EXIST __kconfig __weak;
char LICENSE[] SEC("license") = "GPL";

__u64 out[5];

SEC("socket")
int kconfig_prog(struct __sk_buff *skb)
{
	out[0] = LINUX_KERNEL_VERSION;
	out[1] = CONFIG_HZ;
	out[2] = CONFIG_BPF_SYSCALL;
	out[3] = CONFIG_KPROBES;
	out[4] = CONFIG_PYBPF_DOES_NOT_EXIST + 7;
	return 0;
}
