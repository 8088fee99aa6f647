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
 *   op 2 closes slots [cmd, slot); op 3 dumps the file named by blob 0.
 *   flags & 2: make the call only when its slot holds no fd yet (a fallback: a map created
 *   again without BTF when the kernel refused it with BTF, as libbpf does).
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
        for (uint32_t p = 0; p < npatches; p++) {
            uint32_t kind = u32(), target = u32(), off = u32(), val = u32();
            unsigned char *base = target ? blobs[target - 1] : attr;
            uint32_t limit = target ? lens[target - 1] : attr_size;
            if ((target && target > nblobs) || (kind == 1 && (val >= nblobs || off + 8 > limit))
                || (kind == 2 && (val >= NSLOTS || off + 4 > limit)) || (kind != 1 && kind != 2)) {
                fprintf(stderr, "vmtest-loader: record %u patch %u is malformed\n", r, p);
                return 2;
            }
            if (kind == 1) {
                uint64_t addr = (uint64_t)(uintptr_t)blobs[val];
                memcpy(base + off, &addr, 8);
            } else {
                int32_t fd = slots[val];
                memcpy(base + off, &fd, 4);
            }
        }
        if (op == 1 && (flags & 2) && slot != 0xffffffffu && slots[slot] >= 0) {
            /* the first attempt created it: no fallback */
        } else if (op == 1) {
            long ret = syscall(__NR_bpf, cmd, attr, attr_size);
            int err = ret < 0 ? errno : 0;
            if (ret >= 0 && slot != 0xffffffffu) {
                if (slots[slot] >= 0) close(slots[slot]);
                slots[slot] = (int)ret;
            } else if (ret >= 0 && (cmd == 0 || cmd == 5 || cmd == 18)) {
                close((int)ret);  /* map, program or BTF fd nobody asked to keep */
            }
            if (flags & 1) {
                const char *log = log_blob ? (const char *)blobs[log_blob - 1] : "";
                uint32_t len = log_blob ? (uint32_t)strnlen(log, lens[log_blob - 1]) : 0;
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
        free(attr);
    }
    put("END!", 4);
    if (fflush(out) != 0) die("flush results");
    fsync(ofd);
    return 0;
}
