/* pybpf vmtest loader: replays a batch of bpf() calls inside a test kernel and reports.
 *
 * Built static (gcc -static -O2) and run as the guest's workload (or natively on the host).
 * It knows no BPF attribute layout: the host (tools/vmtest/batch.py) encodes every attribute
 * with pybpf's own layouts and tells the loader only where to write the addresses of blobs
 * and the fds of earlier calls. That keeps this file small and the kernel facts on the host.
 *
 * Batch (little endian):  "PBVTBAT1" u32 nrec, then nrec records:
 *   u32 op (1 = bpf(), 2 = close slots, 3 = dump a file), u32 cmd, u32 attr_size, u32 flags,
 *   u32 slot (where the returned fd is kept, 0xffffffff = nowhere), u32 nblobs, u32 npatches,
 *   u32 log_blob (blob index + 1 of the verifier log buffer, 0 = none),
 *   attr bytes, nblobs x (u32 len, bytes: none when bit 31 of len is set, a zeroed buffer), npatches x (u32 kind, u32 target, u32 off, u32 val)
 *   patch kind 1: write the u64 address of blob[val] at target+off (target 0 = attr, i = blob i-1)
 *   patch kind 2: write the u32 fd held in slot[val] at target+off
 *   patch kind 3: write the u32 size of blob[val] at target+off (a log buffer's size)
 *   op 2 closes slots [cmd, slot); op 3 dumps the file named by blob 0.
 *   flags & 2: make the call only when its slot holds no fd yet (a fallback: a map created
 *   again without BTF when the kernel refused it with BTF, as libbpf does).
 *   flags & 4: when the call fails with ENOSPC (its verifier log did not fit) and the log lacks
 *   its end (the verifier's closing "processed N insns" line: a rotating log keeps it), make it again
 *   with a log buffer LOG_GROWTH times larger (one retry reaches 256 MiB, which a walk to the
 *   1,000,000-instruction limit fits in), up to the kernel's limit (UINT_MAX >> 2), as
 *   libbpf does with its own buffer: a kernel whose log does not rotate (before 6.4) drops
 *   the last lines, the error among them, of a log that overflows. Only the log's last
 *   LOG_TAIL bytes are reported (the error and the summary; a full log can be ~100 MB).
 * Results: "PBVTRES1", then for each record with flags & 1: "REC!" u32 index, i32 ret,
 *   i32 errno, u32 len, len bytes (the log's text, or the dumped file), and "END!" at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#define NSLOTS 4096
#define MAXBLOBS 64
#define LOG_GROWTH 256u
#define LOG_LIMIT (0xffffffffu >> 2)
#define LOG_TAIL (64u << 10)

static int slots[NSLOTS];
static FILE *out;

static void die(const char *what) {
    fprintf(stderr, "vmtest-loader: %s: %s\n", what, strerror(errno));
    exit(2);
}

static const unsigned char *cur, *end;

static uint32_t u32(void) {
    uint32_t v;
    if (end - cur < 4) { fprintf(stderr, "vmtest-loader: truncated batch\n"); exit(2); }
    memcpy(&v, cur, 4);
    cur += 4;
    return v;
}

static const unsigned char *take(size_t n) {
    const unsigned char *p = cur;
    if ((size_t)(end - cur) < n) { fprintf(stderr, "vmtest-loader: truncated batch\n"); exit(2); }
    cur += n;
    return p;
}

static void put(const void *p, size_t n) {
    if (fwrite(p, 1, n, out) != n) die("write results");
}

static void report(uint32_t index, int32_t ret, int32_t err, const char *data, uint32_t len) {
    put("REC!", 4);
    put(&index, 4);
    put(&ret, 4);
    put(&err, 4);
    put(&len, 4);
    if (len) put(data, len);
}

static unsigned char *read_all(const char *path, size_t *size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (n == cap) buf = realloc(buf, cap *= 2);
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) { free(buf); close(fd); return NULL; }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    *size = n;
    return buf;
}

/* Whether a verifier log holds its end: its last line is the summary the verifier closes
 * every log with ("processed N insns (limit ...) ..."). A log that rotates (6.4 and later)
 * keeps its end when it overflows; one that does not (6.1) loses it with the error. */
static int log_has_end(const char *log, uint32_t size) {
    size_t len = strnlen(log, size);
    while (len && log[len - 1] == '\n') len--;
    size_t start = len;
    while (start && log[start - 1] != '\n') start--;
    return len - start > 10 && !strncmp(log + start, "processed ", 10);
}

/* A patch (kind, target, off, val) of the record's attr (target 0) or blob target-1. */
static void apply_patch(const uint32_t *p, unsigned char *attr, unsigned char **blobs, const uint32_t *lens) {
    unsigned char *base = p[1] ? blobs[p[1] - 1] : attr;
    if (p[0] == 1) {
        uint64_t addr = (uint64_t)(uintptr_t)blobs[p[3]];
        memcpy(base + p[2], &addr, 8);
    } else if (p[0] == 2) {
        int32_t fd = slots[p[3]];
        memcpy(base + p[2], &fd, 4);
    } else {
        memcpy(base + p[2], &lens[p[3]], 4);
    }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s BATCH RESULTS\n", argv[0]);
        return 2;
    }
    size_t size;
    unsigned char *batch = read_all(argv[1], &size);
    if (!batch) die(argv[1]);
    cur = batch;
    end = batch + size;
    if (memcmp(take(8), "PBVTBAT1", 8)) { fprintf(stderr, "vmtest-loader: not a batch\n"); return 2; }
    int ofd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, 0644);
    if (ofd < 0) die(argv[2]);
    struct termios tio;
    if (tcgetattr(ofd, &tio) == 0) {  /* a serial port: raw bytes, no newline translation */
        cfmakeraw(&tio);
        tcsetattr(ofd, TCSANOW, &tio);
    }
    out = fdopen(ofd, "wb");
    if (!out) die("fdopen");
    for (int i = 0; i < NSLOTS; i++) slots[i] = -1;
    put("PBVTRES1", 8);
    uint32_t nrec = u32();
    for (uint32_t r = 0; r < nrec; r++) {
        uint32_t op = u32(), cmd = u32(), attr_size = u32(), flags = u32(), slot = u32();
        uint32_t nblobs = u32(), npatches = u32(), log_blob = u32();
        if (nblobs > MAXBLOBS || (op != 2 && slot != 0xffffffffu && slot >= NSLOTS)) {
            fprintf(stderr, "vmtest-loader: record %u is malformed\n", r);
            return 2;
        }
        unsigned char *attr = calloc(1, attr_size + 8);
        memcpy(attr, take(attr_size), attr_size);
        unsigned char *blobs[MAXBLOBS];
        uint32_t lens[MAXBLOBS];
        for (uint32_t b = 0; b < nblobs; b++) {
            uint32_t len = u32();
            lens[b] = len & 0x7fffffffu;
            blobs[b] = calloc(1, lens[b] + 8);
            if (!blobs[b]) die("calloc");
            if (!(len & 0x80000000u)) memcpy(blobs[b], take(lens[b]), lens[b]);
        }
        uint32_t (*patches)[4] = calloc((size_t)npatches + 1, sizeof *patches);
        if (!patches) die("calloc");
        for (uint32_t p = 0; p < npatches; p++) {
            uint32_t kind = u32(), target = u32(), off = u32(), val = u32();
            uint32_t limit = target ? (target <= nblobs ? lens[target - 1] : 0) : attr_size;
            if ((target && target > nblobs) || ((kind == 1 || kind == 3) && (val >= nblobs || off + (kind == 1 ? 8 : 4) > limit))
                || (kind == 2 && (val >= NSLOTS || off + 4 > limit)) || kind < 1 || kind > 3) {
                fprintf(stderr, "vmtest-loader: record %u patch %u is malformed\n", r, p);
                return 2;
            }
            patches[p][0] = kind, patches[p][1] = target, patches[p][2] = off, patches[p][3] = val;
            apply_patch(patches[p], attr, blobs, lens);
        }
        if (op == 1 && (flags & 2) && slot != 0xffffffffu && slots[slot] >= 0) {
            /* the first attempt created it: no fallback */
        } else if (op == 1) {
            long ret = syscall(__NR_bpf, cmd, attr, attr_size);
            int err = ret < 0 ? errno : 0;
            while ((flags & 4) && log_blob && ret < 0 && err == ENOSPC && lens[log_blob - 1] < LOG_LIMIT
                   && !log_has_end((const char *)blobs[log_blob - 1], lens[log_blob - 1])) {
                uint32_t b = log_blob - 1;
                uint64_t grown = (uint64_t)lens[b] * LOG_GROWTH;
                uint32_t size = grown > LOG_LIMIT ? LOG_LIMIT : (uint32_t)grown;
                unsigned char *bigger = calloc(1, (size_t)size + 8);
                if (!bigger) break;  /* the guest's memory: report the log as it is */
                free(blobs[b]);
                blobs[b] = bigger;
                lens[b] = size;
                for (uint32_t p = 0; p < npatches; p++)
                    if (patches[p][3] == b && (patches[p][0] == 1 || patches[p][0] == 3))
                        apply_patch(patches[p], attr, blobs, lens);
                ret = syscall(__NR_bpf, cmd, attr, attr_size);
                err = ret < 0 ? errno : 0;
            }
            if (ret >= 0 && slot != 0xffffffffu) {
                if (slots[slot] >= 0) close(slots[slot]);
                slots[slot] = (int)ret;
            } else if (ret >= 0 && (cmd == 0 || cmd == 5 || cmd == 18)) {
                close((int)ret);  /* map, program or BTF fd nobody asked to keep */
            }
            if (flags & 1) {
                const char *log = log_blob ? (const char *)blobs[log_blob - 1] : "";
                uint32_t len = log_blob ? (uint32_t)strnlen(log, lens[log_blob - 1]) : 0;
                if ((flags & 4) && len > LOG_TAIL) {
                    log += len - LOG_TAIL;
                    len = LOG_TAIL;
                }
                report(r, (int32_t)ret, err, log, len);
            }
        } else if (op == 2) {
            for (uint32_t s = cmd; s < slot && s < NSLOTS; s++) {
                if (slots[s] >= 0) close(slots[s]);
                slots[s] = -1;
            }
        } else if (op == 3) {
            size_t fsize = 0;
            unsigned char *data = read_all((const char *)blobs[0], &fsize);
            if (flags & 1) report(r, data ? 0 : -1, data ? 0 : errno, (const char *)data, (uint32_t)fsize);
            free(data);
        } else {
            fprintf(stderr, "vmtest-loader: record %u has unknown op %u\n", r, op);
            return 2;
        }
        for (uint32_t b = 0; b < nblobs; b++) free(blobs[b]);
        free(patches);
        free(attr);
    }
    put("END!", 4);
    if (fflush(out) != 0) die("flush results");
    fsync(ofd);
    return 0;
}
