/* Ring buffer and perf buffer readers: mmap, epoll and the drain loops.
 * Each syscall wrapper returns the raw result and stores errno in *err (0 on success).
 * Types are spelled without <stdint.h> so this file is both a cffi cdef and a C header. */

/* mmap of a BPF object fd (ring buffer, perf ring, BPF_F_MMAPABLE array): prot and flags are
 * the PROT_* / MAP_* values (Python's mmap module has them). Returns NULL on failure. */
void *pybpf_mmap(int fd, unsigned long long length, int prot, int flags, long long offset, int *err);
int pybpf_munmap(void *addr, unsigned long long length, int *err);

int pybpf_epoll_create(int *err);
int pybpf_epoll_add(int epfd, int fd, unsigned int events, unsigned long long data, int *err);
int pybpf_epoll_wait(int epfd, unsigned long long *data, unsigned int *events, int max_events,
                     int timeout_ms, int *err);

/* What one drain call did. */
struct pybpf_drain {
	unsigned long long records;    /* records copied to out */
	unsigned long long discarded;  /* BPF ring buffer: discarded records skipped */
	unsigned long long lost;       /* perf buffer: samples the kernel dropped (PERF_RECORD_LOST) */
	unsigned long long other;      /* perf buffer: records of other types skipped */
	unsigned long long mismatched; /* stride mode: records whose length differed from the stride */
	unsigned long long bytes;      /* bytes written to out */
	unsigned long long consumed;   /* ring bytes consumed, headers and padding included */
	unsigned long long min_len;    /* shortest record copied (undefined when records == 0) */
	unsigned long long max_len;    /* longest record copied */
};

/* Bytes between the consumer and the producer position of a BPF ring buffer (acquire load). */
unsigned long long pybpf_ringbuf_ready(const void *consumer_pos, const void *producer_pos);

/* Copy every committed record between consumer_pos and producer_pos of a BPF ring buffer into out.
 * data is the double-mapped data area, mask = size - 1.
 * stride == 0: payloads are packed back to back, record i is out[offsets[i]:offsets[i+1]]
 *              (offsets holds max_records + 1 entries). When every record copied has the same
 *              length (min_len == max_len), only offsets[0] may be written: record i is then
 *              out[i * min_len:(i + 1) * min_len];
 * stride > 0:  record i is copied to out + i * stride, truncated or zero-padded to stride
 *              (offsets may be NULL; otherwise it receives each record's real length).
 * Discarded records are skipped and counted. The consumer position is published (release store)
 * as records are consumed.
 * Returns 0 when everything committed was taken, 1 when out or offsets filled up first (call
 * again), 2 when it stopped at a record still being written (BUSY), -1 on a corrupt header. */
int pybpf_ringbuf_drain(void *consumer_pos, const void *producer_pos, const void *data,
                        unsigned long long mask, void *out, unsigned long long out_cap,
                        unsigned int *offsets, unsigned long long max_records, unsigned int stride,
                        struct pybpf_drain *res);

/* Bytes between data_tail and data_head of a perf ring (base = the perf_event_mmap_page). */
unsigned long long pybpf_perf_ready(const void *base);

/* Same contract as pybpf_ringbuf_drain for one perf event ring: base is the perf_event_mmap_page,
 * data its data area of data_size bytes (a power of two). PERF_RECORD_SAMPLE records deliver their
 * PERF_SAMPLE_RAW payload; PERF_RECORD_LOST records add to res->lost; other records are counted
 * in res->other. Returns 0 when drained, 1 when out or offsets filled up, -1 on a corrupt record. */
int pybpf_perf_drain(void *base, const void *data, unsigned long long data_size, void *out,
                     unsigned long long out_cap, unsigned int *offsets,
                     unsigned long long max_records, unsigned int stride, struct pybpf_drain *res);
