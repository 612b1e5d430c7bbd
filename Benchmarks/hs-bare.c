// hs-bare DBFILE LOGFILE — the bare Vectorscan scan that connwatch's matching is measured against: LOGFILE is
// read in 1 MiB buffers cut at the last newline (the partial line carried over, as connwatch's reader does)
// and each buffer is scanned in block mode with the database from connwatch's compile cache (DBFILE, a
// rules-*.hsdb written by any connwatch run), counting hits and doing nothing else. Prints the hit count.
//
// Build: cc -O2 $(pkg-config --cflags libhs) hs-bare.c $(pkg-config --libs libhs) -o hs-bare
#include <hs.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int on_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *ctx) {
    (void)id; (void)from; (void)to; (void)flags;
    ++*(unsigned long long *)ctx;
    return 0;
}

static void die(const char *what) { fprintf(stderr, "hs-bare: %s\n", what); exit(2); }

// The cache file: a key ("connwatch-hs-cache 2 VERSION\nN expressions\n", then per expression
// "CASELESS LENGTH\n" and the pattern), u32 flag count, flags, u32 size, the serialized database, u64 digest.
static hs_database_t *load(const char *path) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) die("cannot open the database file");
    char *b = malloc(st.st_size);
    if (!b || read(fd, b, st.st_size) != st.st_size) die("cannot read the database file");
    close(fd);
    char *p = b, *end = b + st.st_size;
    static const char magic[] = "connwatch-hs-cache 2 ";
    if (st.st_size < (off_t)sizeof magic || memcmp(b, magic, sizeof magic - 1) != 0)
        die("not a connwatch database cache of format 2");
    p = memchr(p, '\n', end - p);
    if (!p) die("not a connwatch database cache");
    long n = strtol(p + 1, &p, 10);
    p = memchr(p, '\n', end - p) + 1;
    for (long i = 0; i < n; i++) {
        char *nl = memchr(p, '\n', end - p);
        if (!nl) die("damaged key");
        long len = strtol(strchr(p, ' ') + 1, NULL, 10);
        p = nl + 1 + len;
    }
    uint32_t flags, size;
    memcpy(&flags, p, 4); p += 4 + flags;
    memcpy(&size, p, 4); p += 4;
    if (p + size + 8 != end) die("damaged database file");
    hs_database_t *db = NULL;
    if (hs_deserialize_database(p, size, &db) != HS_SUCCESS) die("cannot deserialize the database");
    free(b);
    return db;
}

int main(int argc, char **argv) {
    if (argc != 3) die("usage: hs-bare DBFILE LOGFILE");
    hs_database_t *db = load(argv[1]);
    hs_scratch_t *scratch = NULL;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) die("cannot allocate scratch");
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) die("cannot open the log file");
    const size_t chunk = 1 << 20, capacity = chunk + 65536 + 1;
    char *buf = aligned_alloc(64, capacity + 63 - (capacity + 63) % 64);
    size_t fill = 0;
    unsigned long long hits = 0;
    for (;;) {
        ssize_t r = read(fd, buf + fill, capacity - fill);
        if (r < 0) die("read error");
        if (r == 0) {
            if (fill) hs_scan(db, buf, fill, 0, scratch, on_hit, &hits);
            break;
        }
        fill += r;
        size_t upto = fill;
        while (upto > 0 && buf[upto - 1] != '\n') upto--;
        if (upto == 0) upto = fill; // a line longer than the buffer: scanned as it is
        hs_scan(db, buf, upto, 0, scratch, on_hit, &hits);
        memmove(buf, buf + upto, fill - upto);
        fill -= upto;
    }
    printf("%llu\n", hits);
    return 0;
}
