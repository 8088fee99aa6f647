/* Shared declarations of the C verifier corpus (tests/verifier/c).
 *
 * libbpf-dev 1.1's headers predate the kfuncs and open-coded iterators of the
 * running kernel, and vmlinux.h carries no kfunc prototypes, so the corpus
 * declares the kfuncs it calls here, written from their kernel signatures.
 */
#ifndef CORPUS_H
#define CORPUS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define ETH_P_ARP	0x0806
#define IPPROTO_HOPOPTS_	0
#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_ROUTING_	43
#define IPPROTO_FRAGMENT_	44
#define IPPROTO_ICMPV6_	58
#define IPPROTO_DSTOPTS_	60
#define TC_ACT_OK_	0
#define TC_ACT_SHOT_	2
#define XDP_ABORTED_	0
#define XDP_DROP_	1
#define XDP_PASS_	2
#define XDP_TX_		3
#define AF_INET_	2
#define AF_INET6_	10
#define TASK_COMM_LEN	16
#define ETH_HLEN	14
#define MAX_PATH_	256

/* kernel pointer tags as this kernel spells them */
#define __kptr_ref_	__attribute__((btf_type_tag("kptr")))
#define __kptr_raw_	__attribute__((btf_type_tag("kptr_untrusted")))
#define __rcu_tag_	__attribute__((btf_type_tag("rcu")))
/* global function argument tags */
#define __arg_ctx_	__attribute__((btf_decl_tag("arg:ctx")))
#define __arg_nonnull_	__attribute__((btf_decl_tag("arg:nonnull")))
#define __arg_trusted_	__attribute__((btf_decl_tag("arg:trusted")))
#define __noinline_	__attribute__((noinline))

/* tasks */
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern long bpf_task_under_cgroup(struct task_struct *task, struct cgroup *ancestor) __ksym;
/* cgroups */
extern struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;
extern struct cgroup *bpf_cgroup_from_id(u64 cgid) __ksym;
extern struct cgroup *bpf_cgroup_ancestor(struct cgroup *cgrp, int level) __ksym;
/* cpumasks */
extern struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
extern void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym;
extern struct bpf_cpumask *bpf_cpumask_acquire(struct bpf_cpumask *cpumask) __ksym;
extern void bpf_cpumask_set_cpu(u32 cpu, struct bpf_cpumask *cpumask) __ksym;
extern void bpf_cpumask_clear_cpu(u32 cpu, struct bpf_cpumask *cpumask) __ksym;
extern bool bpf_cpumask_test_cpu(u32 cpu, const struct cpumask *cpumask) __ksym;
extern u32 bpf_cpumask_first(const struct cpumask *cpumask) __ksym;
extern u32 bpf_cpumask_weight(const struct cpumask *cpumask) __ksym;
extern bool bpf_cpumask_empty(const struct cpumask *cpumask) __ksym;
extern void bpf_cpumask_clear(struct bpf_cpumask *cpumask) __ksym;
extern bool bpf_cpumask_and(struct bpf_cpumask *dst, const struct cpumask *src1,
			    const struct cpumask *src2) __ksym;
extern void bpf_cpumask_copy(struct bpf_cpumask *dst, const struct cpumask *src) __ksym;
/* RCU */
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
/* dynptrs */
extern int bpf_dynptr_from_skb(struct __sk_buff *skb, u64 flags,
			       struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpf_dynptr_from_xdp(struct xdp_md *xdp, u64 flags,
			       struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *ptr, u32 offset, void *buffer,
			      u32 buffer__szk) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *ptr, u32 offset, void *buffer,
				   u32 buffer__szk) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *ptr, u32 start, u32 end) __ksym;
extern bool bpf_dynptr_is_null(const struct bpf_dynptr *ptr) __ksym;
extern u32 bpf_dynptr_size(const struct bpf_dynptr *ptr) __ksym;
/* open-coded iterators */
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;
extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 u64 addr) __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __ksym;
extern int bpf_iter_css_task_new(struct bpf_iter_css_task *it, struct cgroup_subsys_state *css,
				 unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_css_task_next(struct bpf_iter_css_task *it) __ksym;
extern void bpf_iter_css_task_destroy(struct bpf_iter_css_task *it) __ksym;
extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task,
			     unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __ksym;
/* allocated objects */
extern void *bpf_obj_new_impl(u64 local_type_id__k, void *meta__ign) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta__ign) __ksym;
#define corpus_obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), NULL))
#define corpus_obj_drop(p) bpf_obj_drop_impl(p, NULL)

/* A counted loop over an open-coded numbers iterator: `corpus_for(i, 0, n) { ... }`.
 * The iterator is destroyed when the loop's scope ends. */
#define corpus_for(i, start, end)							\
	for (struct bpf_iter_num ___it __attribute__((aligned(8),			\
						       cleanup(bpf_iter_num_destroy))),	\
	     *___once __attribute__((unused)) =						\
		(bpf_iter_num_new(&___it, (start), (end)), (void)bpf_iter_num_destroy,	\
		 (void *)0);								\
	     ({ int *___n = bpf_iter_num_next(&___it);				\
		___n && ((i) = *___n, (i) >= (start) && (i) < (end)); });)

/* an opaque zero the compiler cannot see through */
#define corpus_barrier_var(v) asm volatile("" : "+r"(v))

#endif
