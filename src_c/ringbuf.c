/* Ring buffer and perf buffer readers: mmap, epoll and the drain loops.
 *
 * BPF ring buffer protocol (see pybpf/kernel/ringbuf_math.py for the arithmetic):
 *   - load-acquire producer_pos, then load-acquire each record header's len word, so the
 *     payload written before the producer committed is visible once BUSY is clear;
 *   - store-release consumer_pos after the payloads are copied, so the producer never
 *     overwrites bytes still being read.
 * perf ring: load-acquire data_head, read records, store-release data_tail.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringbuf.h"

#define RB_BUSY_BIT (1U << 31)
#define RB_DISCARD_BIT (1U << 30)
#define RB_HDR_SIZE 8
/* publish consumer_pos at least this often while draining a big backlog */
#define RB_PUBLISH_EVERY (64 * 1024)

#define PERF_RECORD_LOST 2
#define PERF_RECORD_SAMPLE 9
#define PERF_DATA_HEAD_OFF 1024
#define PERF_DATA_TAIL_OFF 1032

void *pybpf_mmap(int fd, unsigned long long length, int prot, int flags, long long offset, int *err)
{
	void *p = mmap(NULL, (size_t)length, prot, flags, fd, (off_t)offset);
	if (p == MAP_FAILED) {
		*err = errno;
		return NULL;
	}
	*err = 0;
	return p;
}

int pybpf_munmap(void *addr, unsigned long long length, int *err)
{
	int ret = munmap(addr, (size_t)length);
	*err = ret < 0 ? errno : 0;
	return ret;
}

int pybpf_epoll_create(int *err)
{
	int ret = epoll_create1(EPOLL_CLOEXEC);
	*err = ret < 0 ? errno : 0;
	return ret;
}

int pybpf_epoll_add(int epfd, int fd, unsigned int events, unsigned long long data, int *err)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = data;
	int ret = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	*err = ret < 0 ? errno : 0;
	return ret;
}

int pybpf_epoll_wait(int epfd, unsigned long long *data, unsigned int *events, int max_events,
                     int timeout_ms, int *err)
{
	struct epoll_event evs[64];
	if (max_events > 64)
		max_events = 64;
	int ret = epoll_wait(epfd, evs, max_events, timeout_ms);
	*err = ret < 0 ? errno : 0;
	for (int i = 0; i < ret; i++) {
		data[i] = evs[i].data.u64;
		events[i] = evs[i].events;
	}
	return ret;
}

/* ---- BPF ring buffer ------------------------------------------------------------------- */

unsigned long long pybpf_ringbuf_ready(const void *consumer_pos, const void *producer_pos)
{
	uint64_t cons = __atomic_load_n((const uint64_t *)consumer_pos, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n((const uint64_t *)producer_pos, __ATOMIC_ACQUIRE);
	return prod - cons;
}

/* memcpy of n bytes with the common record sizes spelled as constants, which the compiler
 * turns into a few moves (a call to memcpy per record costs as much as the rest of the loop) */
static inline void copy_small(uint8_t *dst, const uint8_t *src, unsigned int n)
{
	switch (n) {
	case 8: memcpy(dst, src, 8); break;
	case 16: memcpy(dst, src, 16); break;
	case 24: memcpy(dst, src, 24); break;
	case 32: memcpy(dst, src, 32); break;
	case 40: memcpy(dst, src, 40); break;
	case 48: memcpy(dst, src, 48); break;
	case 56: memcpy(dst, src, 56); break;
	case 64: memcpy(dst, src, 64); break;
	default: memcpy(dst, src, n); break;
	}
}

/* The counters of one drain call, kept in a local: the output buffer is a uint8_t *, which
 * may alias anything the caller passed (res included), so counters updated through res would
 * be reloaded and stored again around every record's copy. A local whose address never escapes
 * stays in registers; it is written to res once, at the end. */
struct acc {
	uint64_t records, bytes, min_len, max_len, mismatched, discarded;
};

/* Copy one payload to out (packed or strided). Returns 0, or 1 when there is no room, or (with
 * exact) 3 for a record whose length is not the stride (left in the ring).
 * Stride mode: the caller has clamped max_records to out_cap / stride (stride_cap), and the
 * lengths of the records that match the stride are folded into min_len/max_len at the end
 * (acc_store), so the common record costs no length bookkeeping.
 * pad_ok: the source may be read up to len rounded up to 8 bytes (a BPF ring buffer record is
 * padded to 8 bytes), so packed mode copies whole 8-byte words while out has room for them. */
static inline __attribute__((always_inline)) int
put_record(const uint8_t *src, uint32_t len, uint8_t *out, uint64_t out_cap, unsigned int *offsets,
           uint64_t max_records, unsigned int stride, int pad_ok, struct acc *a, int exact)
{
	uint64_t n = a->records;
	if (n >= max_records)
		return 1;
	if (exact && len != stride)
		return 3;
	if (stride) {
		uint8_t *dst = out + n * stride;
		if (__builtin_expect(len == stride, 1)) {
			copy_small(dst, src, stride);
		} else {
			if (len < a->min_len)
				a->min_len = len;
			if (len > a->max_len)
				a->max_len = len;
			if (len > stride) {
				copy_small(dst, src, stride);
			} else {
				memcpy(dst, src, len);
				memset(dst + len, 0, stride - len);
			}
			a->mismatched++;
		}
		if (offsets)
			offsets[n] = len;
	} else {
		uint64_t b = a->bytes;
		if (b + len > out_cap)
			return 1;
		if (len < a->min_len)
			a->min_len = len;
		if (len > a->max_len)
			a->max_len = len;
		uint32_t padded = (len + 7) & ~7U;
		if (pad_ok && padded <= 64 && b + padded <= out_cap)
			copy_small(out + b, src, padded); /* the bytes past len are overwritten next */
		else
			memcpy(out + b, src, len);
		b += len;
		offsets[n + 1] = (unsigned int)b;
		a->bytes = b;
	}
	a->records = n + 1;
	return 0;
}

static inline void acc_init(struct acc *a)
{
	memset(a, 0, sizeof(*a));
	a->min_len = ~0ULL;
}

/* The records a stride-mode call may copy: max_records, and no more than fit out_cap. */
static inline uint64_t stride_cap(uint64_t max_records, uint64_t out_cap, unsigned int stride)
{
	if (stride && out_cap / stride < max_records)
		return out_cap / stride;
	return max_records;
}

static inline void acc_store(struct acc *a, unsigned int stride, struct pybpf_drain *res)
{
	if (stride && a->records > a->mismatched) { /* some records had the stride's length */
		if (stride < a->min_len)
			a->min_len = stride;
		if (stride > a->max_len)
			a->max_len = stride;
	}
	memset(res, 0, sizeof(*res));
	res->records = a->records;
	res->bytes = stride ? a->records * stride : a->bytes;
	res->min_len = a->min_len;
	res->max_len = a->max_len;
	res->mismatched = a->mismatched;
	res->discarded = a->discarded;
}

/* The producer position (acquire), never more than the ring's size past cons: the kernel
 * refuses a reservation that would take the producer further than that past the published
 * consumer position, which cons never trails, so only a corrupt position is clamped; then one
 * comparison per record (size <= prod - cons) also keeps every read inside the double map. */
static inline uint64_t load_prod(const uint64_t *prod_p, uint64_t cons, uint64_t mask)
{
	uint64_t prod = __atomic_load_n(prod_p, __ATOMIC_ACQUIRE);
	if (prod - cons > mask + 1 && prod > cons)
		prod = cons + mask + 1;
	return prod;
}

/* The ring buffer loop, inlined once per constant stride (and without offsets) so every copy
 * is a few moves and no per-record test is loop-invariant. Publishes the consumer position
 * every RB_PUBLISH_EVERY bytes and at the end. */
static inline __attribute__((always_inline)) int
rb_loop(uint64_t *cons_p, const uint64_t *prod_p, const uint8_t *ring, uint64_t mask, uint8_t *out,
        uint64_t out_cap, unsigned int *offsets, uint64_t max_records, unsigned int stride,
        struct acc *a, uint64_t *consumed, int exact)
{
	uint64_t cons = __atomic_load_n(cons_p, __ATOMIC_RELAXED); /* only we write it */
	uint64_t published = cons;
	uint64_t start = cons;
	uint64_t prod = load_prod(prod_p, cons, mask);
	int status = 0;

	for (;;) {
		if (cons >= prod) {
			/* caught up: look again, the producer may have moved meanwhile */
			prod = load_prod(prod_p, cons, mask);
			if (cons >= prod)
				break;
		}
		const uint32_t *hdr = (const uint32_t *)(ring + (cons & mask));
		uint32_t word = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (stride && !offsets && word == stride) {
			/* the common record: committed, kept, of the stride's length; with a constant
			 * stride this one comparison stands for the flag, length and size tests below */
			const uint64_t size = ((uint64_t)stride + RB_HDR_SIZE + 7) & ~(uint64_t)7;
			uint64_t n = a->records;
			if (size > prod - cons) {
				status = -1;
				break;
			}
			if (n >= max_records) {
				status = 1;
				break;
			}
			copy_small(out + n * stride, (const uint8_t *)hdr + RB_HDR_SIZE, stride);
			a->records = n + 1;
			cons += size;
			if (cons - published >= RB_PUBLISH_EVERY) {
				__atomic_store_n(cons_p, cons, __ATOMIC_RELEASE);
				published = cons;
			}
			continue;
		}
		if (word & RB_BUSY_BIT) {
			status = 2;
			break;
		}
		uint32_t len = word & ~(RB_BUSY_BIT | RB_DISCARD_BIT);
		uint64_t size = ((uint64_t)len + RB_HDR_SIZE + 7) & ~(uint64_t)7;
		if (size > prod - cons) {
			status = -1;
			break;
		}
		if (word & RB_DISCARD_BIT) {
			a->discarded++;
		} else {
			int r = put_record((const uint8_t *)hdr + RB_HDR_SIZE, len, out, out_cap, offsets,
			                   max_records, stride, 1, a, exact);
			if (r) {
				status = r;
				break;
			}
		}
		cons += size;
		if (cons - published >= RB_PUBLISH_EVERY) {
			__atomic_store_n(cons_p, cons, __ATOMIC_RELEASE);
			published = cons;
		}
	}
	if (cons != published)
		__atomic_store_n(cons_p, cons, __ATOMIC_RELEASE);
	*consumed = cons - start;
	return status;
}

/* The length of the committed record at the consumer position, 0 when there is none yet
 * (or it is discarded or still being written). */
static inline uint32_t peek_len(const uint64_t *cons_p, const uint64_t *prod_p, const uint8_t *ring,
                                uint64_t mask)
{
	uint64_t cons = __atomic_load_n(cons_p, __ATOMIC_RELAXED);
	if (cons >= load_prod(prod_p, cons, mask))
		return 0;
	uint32_t word = __atomic_load_n((const uint32_t *)(ring + (cons & mask)), __ATOMIC_ACQUIRE);
	return word & (RB_BUSY_BIT | RB_DISCARD_BIT) ? 0 : word;
}

/* Packed mode. Records mostly share one length: when the first one's is a common size, the
 * records are copied as in stride mode with that length as a constant, without offsets (record
 * i is at i * len), until one of another length comes; then offsets are filled in for the
 * records so far and the general packed loop takes the rest. So offsets past offsets[0] are
 * left unwritten when min_len == max_len (see ringbuf.h). */
static __attribute__((noinline)) int
ringbuf_drain_packed(uint64_t *cons_p, const uint64_t *prod_p, const uint8_t *ring, uint64_t mask,
                     uint8_t *o, uint64_t out_cap, unsigned int *offsets, uint64_t max_records,
                     struct pybpf_drain *res)
{
	struct acc a;
	uint64_t consumed = 0, more = 0;
	int status = 3;
	uint32_t first = peek_len(cons_p, prod_p, ring, mask);

	acc_init(&a);
#define RB_EXACT(S) rb_loop(cons_p, prod_p, ring, mask, o, out_cap, NULL, \
                            stride_cap(max_records, out_cap, S), S, &a, &consumed, 1)
	switch (first) {
	case 8: status = RB_EXACT(8); break;
	case 16: status = RB_EXACT(16); break;
	case 24: status = RB_EXACT(24); break;
	case 32: status = RB_EXACT(32); break;
	case 48: status = RB_EXACT(48); break;
	case 64: status = RB_EXACT(64); break;
	default: first = 0; break;
	}
#undef RB_EXACT
	if (first) {
		a.bytes = a.records * first;
		if (a.records) {
			a.min_len = first;
			a.max_len = first;
		}
	}
	if (status == 3) { /* another length (or no common one at the start): the general loop */
		for (uint64_t i = 1; first && i <= a.records; i++)
			offsets[i] = (unsigned int)(i * first);
		status = rb_loop(cons_p, prod_p, ring, mask, o, out_cap, offsets, max_records, 0, &a,
		                 &more, 0);
	}
	acc_store(&a, 0, res);
	res->consumed = consumed + more;
	return status;
}

int pybpf_ringbuf_drain(void *consumer_pos, const void *producer_pos, const void *data,
                        unsigned long long mask, void *out, unsigned long long out_cap,
                        unsigned int *offsets, unsigned long long max_records, unsigned int stride,
                        struct pybpf_drain *res)
{
	uint64_t *cons_p = (uint64_t *)consumer_pos;
	const uint64_t *prod_p = (const uint64_t *)producer_pos;
	const uint8_t *ring = (const uint8_t *)data;
	uint8_t *o = (uint8_t *)out;
	uint64_t consumed = 0;
	struct acc a;
	int status;

	acc_init(&a);
	if (!stride && offsets && max_records)
		offsets[0] = 0;
	if (!stride && offsets)
		return ringbuf_drain_packed(cons_p, prod_p, ring, mask, o, out_cap, offsets, max_records,
		                            res);
	max_records = stride_cap(max_records, out_cap, stride);
#define RB_LOOP(S, OFFS) \
	rb_loop(cons_p, prod_p, ring, mask, o, out_cap, OFFS, max_records, S, &a, &consumed, 0)
	if (stride && offsets) {
		status = RB_LOOP(stride, offsets); /* lengths wanted too: the general loop */
	} else {
		switch (stride) {
		case 0: status = RB_LOOP(0, offsets); break;
		case 8: status = RB_LOOP(8, NULL); break;
		case 16: status = RB_LOOP(16, NULL); break;
		case 24: status = RB_LOOP(24, NULL); break;
		case 32: status = RB_LOOP(32, NULL); break;
		case 48: status = RB_LOOP(48, NULL); break;
		case 64: status = RB_LOOP(64, NULL); break;
		default: status = RB_LOOP(stride, NULL); break;
		}
	}
#undef RB_LOOP
	acc_store(&a, stride, res);
	res->consumed = consumed;
	return status;
}

/* ---- perf event ring ------------------------------------------------------------------- */

unsigned long long pybpf_perf_ready(const void *base)
{
	const uint8_t *b = (const uint8_t *)base;
	uint64_t head = __atomic_load_n((const uint64_t *)(b + PERF_DATA_HEAD_OFF), __ATOMIC_ACQUIRE);
	uint64_t tail = __atomic_load_n((const uint64_t *)(b + PERF_DATA_TAIL_OFF), __ATOMIC_RELAXED);
	return head - tail;
}

/* Copy len bytes at ring position pos (wrapping at data_size) to dst. */
static inline void ring_copy(void *dst, const uint8_t *ring, uint64_t data_size, uint64_t pos,
                             uint64_t len)
{
	uint64_t off = pos & (data_size - 1);
	uint64_t first = data_size - off;
	if (first >= len) {
		memcpy(dst, ring + off, len);
	} else {
		memcpy(dst, ring + off, first);
		memcpy((uint8_t *)dst + first, ring, len - first);
	}
}

/* perf_event_header: type, misc, size; a PERF_RECORD_SAMPLE follows it with the u32 raw size
 * and the raw data, which the kernel pads so that the record stays 8-byte aligned. */
struct perf_hdr {
	uint32_t type;
	uint16_t misc;
	uint16_t size;
};
#define PERF_SAMPLE_HDR (sizeof(struct perf_hdr) + 4) /* the header and the raw size word */

/* The header as one 8-byte word, in the ring's (native) byte order. */
static inline uint64_t perf_hdr_word(uint32_t type, uint16_t misc, uint16_t size)
{
	struct perf_hdr h = {type, misc, size};
	uint64_t w;
	memcpy(&w, &h, sizeof(w));
	return w;
}

/* The raw size the kernel gives an n-byte bpf_perf_event_output (a 32-byte output arrives as
 * 36 bytes, a 28-byte one as 28). */
static inline uint64_t perf_raw_len(uint64_t n)
{
	return ((n + 4 + 7) & ~(uint64_t)7) - 4;
}

/* Where the records read in place from tail must end: at head, or at the end of the data area
 * (the next multiple of data_size past tail). */
static inline uint64_t perf_lim(uint64_t tail, uint64_t head, uint64_t mask)
{
	uint64_t end = (tail | mask) + 1;
	return end < head ? end : head;
}

/* Whether the record at p is a sample of the raw size len (the header's misc masked out). */
static inline int perf_is_common(const uint8_t *p, uint64_t hdr_mask, uint64_t hdr, uint32_t len)
{
	uint64_t w;
	uint32_t l;
	memcpy(&w, p, sizeof(w));
	memcpy(&l, p + sizeof(struct perf_hdr), sizeof(l));
	return (w & hdr_mask) == hdr && l == len;
}

/* The perf ring loop, inlined once per constant stride (and without offsets), as rb_loop.
 * Stride mode without offsets has a fast path for the common record: a sample of the raw size
 * the kernel gives a stride-byte output, lying whole before lim (so neither it nor its payload
 * wraps, and it ends by data_head); one comparison of its header word (misc masked) and one of
 * its size word stand for the type, size and bounds tests of the general path, and a run of
 * such records is copied with pointers only. Their count (fast_n) is folded into mismatched,
 * min_len and max_len at the end. Anything else (a wrapping record, a lost or other record,
 * another size, a corrupt header) goes through the general path, which is exact.
 * exact (packed mode's common-length run, stride = that length): returns 3 at a sample of
 * another length, left in the ring. */
static inline __attribute__((always_inline)) int
perf_loop(const uint8_t *ring, uint64_t data_size, uint64_t head, uint64_t *tailp, uint8_t *o,
          uint64_t out_cap, unsigned int *offsets, uint64_t max_records, unsigned int stride,
          struct acc *a, uint64_t *lost_total, uint64_t *other, int exact)
{
	const uint64_t mask = data_size - 1;
	const uint64_t fast_len = perf_raw_len(stride);
	const uint64_t fast_size = fast_len + PERF_SAMPLE_HDR;
	const int fast = stride && !offsets && fast_size <= 0xFFFF;
	const uint64_t fast_hdr = perf_hdr_word(PERF_RECORD_SAMPLE, 0, (uint16_t)fast_size);
	const uint64_t hdr_mask = perf_hdr_word(~0U, 0, 0xFFFF);
	uint64_t tail = *tailp;
	uint64_t lim = perf_lim(tail, head, mask);
	uint64_t fast_n = 0;
	int status = 0;
	uint8_t small[64];

	while (tail < head) {
		if (fast && tail + fast_size <= lim && perf_is_common(ring + (tail & mask), hdr_mask,
		                                                       fast_hdr, fast_len)) {
			/* a run of common records: as many as lie before lim and fit out, copied while
			 * the next one is common too; pointers only (what stops the run, the outer loop
			 * looks at again) */
			uint64_t n = a->records;
			uint64_t k = (lim - tail) / fast_size;
			if (n >= max_records) {
				status = 1;
				break;
			}
			if (k > max_records - n)
				k = max_records - n;
			const uint8_t *p = ring + (tail & mask), *q = p, *end = p + k * fast_size;
			uint8_t *dst = o + n * stride;
			do {
				copy_small(dst, q + PERF_SAMPLE_HDR, stride);
				dst += stride;
				q += fast_size;
			} while (q != end && perf_is_common(q, hdr_mask, fast_hdr, fast_len));
			uint64_t got = (uint64_t)(q - p) / fast_size;
			a->records = n + got;
			fast_n += got;
			tail += (uint64_t)(q - p);
			continue;
		}
		struct perf_hdr hdr;
		ring_copy(&hdr, ring, data_size, tail, sizeof(hdr));
		if (hdr.size < sizeof(hdr) || hdr.size > head - tail) {
			status = -1;
			break;
		}
		if (hdr.type == PERF_RECORD_SAMPLE && hdr.size >= PERF_SAMPLE_HDR) {
			uint32_t len;
			ring_copy(&len, ring, data_size, tail + sizeof(hdr), 4);
			if ((uint64_t)len + PERF_SAMPLE_HDR > hdr.size) {
				status = -1;
				break;
			}
			if (exact && len != stride) {
				status = 3;
				break;
			}
			uint64_t off = (tail + PERF_SAMPLE_HDR) & mask;
			if (off + len <= data_size) {
				/* whole 8-byte words may be read while they stay inside the data area */
				int pad_ok = off + ((len + 7) & ~7U) <= data_size;
				if (put_record(ring + off, len, o, out_cap, offsets, max_records, stride, pad_ok,
				               a, 0)) {
					status = 1;
					break;
				}
			} else {
				/* the payload wraps: stage it unless it is big, then copy piecewise */
				if (len <= sizeof(small)) {
					ring_copy(small, ring, data_size, tail + PERF_SAMPLE_HDR, len);
					if (put_record(small, len, o, out_cap, offsets, max_records, stride, 0, a, 0)) {
						status = 1;
						break;
					}
				} else {
					uint64_t n = a->records;
					uint64_t room = stride ? stride : len;
					uint64_t dst = stride ? n * stride : a->bytes;
					if (n >= max_records || dst + room > out_cap) {
						status = 1;
						break;
					}
					uint64_t take = stride && stride < len ? stride : len;
					if (len < a->min_len)
						a->min_len = len;
					if (len > a->max_len)
						a->max_len = len;
					ring_copy(o + dst, ring, data_size, tail + PERF_SAMPLE_HDR, take);
					if (stride) {
						if (take < stride)
							memset(o + dst + take, 0, stride - take);
						if (len != stride)
							a->mismatched++;
						if (offsets)
							offsets[n] = len;
					} else {
						a->bytes += len;
						offsets[n + 1] = (unsigned int)a->bytes;
					}
					a->records = n + 1;
				}
			}
		} else if (hdr.type == PERF_RECORD_LOST && hdr.size >= sizeof(hdr) + 16) {
			uint64_t lost;
			ring_copy(&lost, ring, data_size, tail + sizeof(hdr) + 8, 8);
			*lost_total += lost;
		} else {
			(*other)++;
		}
		tail += hdr.size;
		if (fast)
			lim = perf_lim(tail, head, mask);
	}
	if (fast_n && fast_len != stride) { /* the fast path's records were truncated to stride */
		a->mismatched += fast_n;
		if (fast_len < a->min_len)
			a->min_len = fast_len;
		if (fast_len > a->max_len)
			a->max_len = fast_len;
	}
	*tailp = tail;
	return status;
}

/* The raw size of the sample at tail, 0 when there is none (or another record comes first). */
static inline uint32_t perf_peek_len(const uint8_t *ring, uint64_t data_size, uint64_t head,
                                     uint64_t tail)
{
	struct perf_hdr hdr;
	uint32_t len;
	if (tail >= head)
		return 0;
	ring_copy(&hdr, ring, data_size, tail, sizeof(hdr));
	if (hdr.type != PERF_RECORD_SAMPLE || hdr.size < PERF_SAMPLE_HDR || hdr.size > head - tail)
		return 0;
	ring_copy(&len, ring, data_size, tail + sizeof(hdr), 4);
	return len + PERF_SAMPLE_HDR <= hdr.size ? len : 0;
}

/* Packed mode, as ringbuf_drain_packed: when the first sample has the raw size of a common
 * output size (8, 16, 24, 32, 48 or 64 bytes), the samples are copied as in stride mode with that
 * length as a constant (and the fast path), without offsets, until a sample of another length
 * comes; then offsets are filled in for the samples so far and the general packed loop takes the
 * rest. Offsets past offsets[0] are left unwritten when min_len == max_len. (Its own function:
 * the compiler then allocates registers for these loops alone.) */
static __attribute__((noinline)) int
perf_drain_packed(const uint8_t *ring, uint64_t data_size, uint64_t head, uint64_t *tailp,
                  uint8_t *o, uint64_t out_cap, unsigned int *offsets, uint64_t max_records,
                  struct acc *res, uint64_t *lost_res, uint64_t *other_res)
{
	/* the counters in locals (see struct acc), written back at the end */
	struct acc acc = *res;
	struct acc *a = &acc;
	uint64_t tail = *tailp, lost = 0, other = 0;
	uint32_t first = perf_peek_len(ring, data_size, head, tail);
	int status = 3;

#define PERF_EXACT(S) perf_loop(ring, data_size, head, &tail, o, out_cap, NULL, \
                                stride_cap(max_records, out_cap, S), S, a, &lost, &other, 1)
	switch (first) {
	case 12: status = PERF_EXACT(12); break;
	case 20: status = PERF_EXACT(20); break;
	case 28: status = PERF_EXACT(28); break;
	case 36: status = PERF_EXACT(36); break;
	case 52: status = PERF_EXACT(52); break;
	case 68: status = PERF_EXACT(68); break;
	default: first = 0; break;
	}
#undef PERF_EXACT
	if (first) {
		a->bytes = a->records * first;
		if (a->records) {
			a->min_len = first;
			a->max_len = first;
		}
	}
	if (status == 3) { /* another length (or no common one at the start): the general loop */
		for (uint64_t i = 1; first && i <= a->records; i++)
			offsets[i] = (unsigned int)(i * first);
		status = perf_loop(ring, data_size, head, &tail, o, out_cap, offsets, max_records, 0, a,
		                   &lost, &other, 0);
	}
	*res = acc;
	*tailp = tail;
	*lost_res += lost;
	*other_res += other;
	return status;
}

int pybpf_perf_drain(void *base, const void *data, unsigned long long data_size, void *out,
                     unsigned long long out_cap, unsigned int *offsets,
                     unsigned long long max_records, unsigned int stride, struct pybpf_drain *res)
{
	uint8_t *b = (uint8_t *)base;
	uint64_t *tail_p = (uint64_t *)(b + PERF_DATA_TAIL_OFF);
	const uint8_t *ring = (const uint8_t *)data;
	uint8_t *o = (uint8_t *)out;
	uint64_t head = __atomic_load_n((const uint64_t *)(b + PERF_DATA_HEAD_OFF), __ATOMIC_ACQUIRE);
	uint64_t tail = __atomic_load_n(tail_p, __ATOMIC_RELAXED);
	uint64_t start = tail;
	uint64_t lost_total = 0, other = 0;
	int status;
	struct acc a; /* counters in a local: see struct acc */

	acc_init(&a);
	if (!stride && offsets && max_records)
		offsets[0] = 0;
	if (!stride && offsets) {
		status = perf_drain_packed(ring, data_size, head, &tail, o, out_cap, offsets, max_records,
		                           &a, &lost_total, &other);
	} else {
		max_records = stride_cap(max_records, out_cap, stride);
#define PERF_LOOP(S, OFFS) perf_loop(ring, data_size, head, &tail, o, out_cap, OFFS, max_records, \
                                     S, &a, &lost_total, &other, 0)
		if (stride && offsets) {
			status = PERF_LOOP(stride, offsets);
		} else {
			switch (stride) {
			case 0: status = PERF_LOOP(0, NULL); break;
			case 8: status = PERF_LOOP(8, NULL); break;
			case 16: status = PERF_LOOP(16, NULL); break;
			case 24: status = PERF_LOOP(24, NULL); break;
			case 32: status = PERF_LOOP(32, NULL); break;
			case 48: status = PERF_LOOP(48, NULL); break;
			case 64: status = PERF_LOOP(64, NULL); break;
			default: status = PERF_LOOP(stride, NULL); break;
			}
		}
#undef PERF_LOOP
	}
	__atomic_store_n(tail_p, tail, __ATOMIC_RELEASE);
	acc_store(&a, stride, res);
	res->lost = lost_total;
	res->other = other;
	res->consumed = tail - start;
	return status;
}
