// B4 baseline (performance notes, Appendix A "Raw fan-out"): the floor a chat server's fan-out can reach on this
// machine, without WebSocket framing, codecs or storage.
//
//   fanout server               listens on 127.0.0.1:0, prints the port, then serves until killed: single-thread
//                               epoll; every whole 128-byte frame read from connection i is written (one write()
//                               each) to connection i and to connection i^1 (2-member channels, the sender gets its
//                               echo as a chat sender does).
//   fanout client PORT CHANNELS SECONDS [SERVER_PID] [RATE]
//                               single-thread epoll, 2 x CHANNELS connections, closed loop: the even member of each
//                               pair sends a frame stamped with CLOCK_MONOTONIC, the odd member records the latency
//                               on receipt and triggers the next send. The first 0.5 s is discarded. Prints JSON:
//                               chat messages/s, latency percentiles and, with SERVER_PID, the server's CPU (from
//                               /proc/<pid>/stat fields 14 + 15) per chat message over the measured window.
//                               With RATE > 0 the load is open loop instead, as wsload drives the chat server:
//                               message k is scheduled at t0 + k / RATE and sent by the even member of channel
//                               k mod CHANNELS, stamped with its scheduled time; the peer's copy only records the
//                               latency. This gives the floor's CPU per message at the chat server's own load.
//
// Built by Benchmarks/server.sh with `cc -O2`.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME 128
#define MAXCONN 20000

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static double proc_cpu_seconds(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    // After ") " come fields 3, 4, …; utime and stime are fields 14 and 15.
    unsigned long long utime = 0, stime = 0;
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
        field++;
        if (field == 14) utime = strtoull(tok, NULL, 10);
        if (field == 15) {
            stime = strtoull(tok, NULL, 10);
            break;
        }
    }
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static void write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;  // loopback, tiny frames: spin rather than buffer
            return;                                           // peer gone
        }
        p += n;
        len -= (size_t)n;
    }
}

// Server state per accepted connection, indexed by accept order.
static int conn_fd[MAXCONN];
static int fd_index[MAXCONN + 64];
static char inbuf[MAXCONN][FRAME * 32];
static int inlen[MAXCONN];

static int run_server(void) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) die("socket");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(listener, 4096) < 0) die("listen");
    socklen_t len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    printf("%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    int conns = 0;
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int e = 0; e < n; e++) {
            int fd = events[e].data.fd;
            if (fd == listener) {
                int c = accept(listener, NULL, NULL);
                if (c < 0) continue;
                if (conns >= MAXCONN || c >= MAXCONN + 64) {
                    close(c);
                    continue;
                }
                int one = 1;
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                conn_fd[conns] = c;
                fd_index[c] = conns;
                inlen[conns] = 0;
                conns++;
                struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                continue;
            }
            int i = fd_index[fd];
            ssize_t r = read(fd, inbuf[i] + inlen[i], sizeof inbuf[i] - (size_t)inlen[i]);
            if (r <= 0) {
                if (r < 0 && errno == EINTR) continue;
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
                conn_fd[i] = -1;
                continue;
            }
            inlen[i] += (int)r;
            int off = 0;
            int peer = i ^ 1;
            while (inlen[i] - off >= FRAME) {
                write_all(fd, inbuf[i] + off, FRAME);
                if (peer < conns && conn_fd[peer] >= 0) write_all(conn_fd[peer], inbuf[i] + off, FRAME);
                off += FRAME;
            }
            memmove(inbuf[i], inbuf[i] + off, (size_t)(inlen[i] - off));
            inlen[i] -= off;
        }
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t pct(const int64_t *v, size_t n, double p) {
    if (n == 0) return 0;
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (k < 1) k = 1;
    if (k > n) k = n;
    return v[k - 1];
}

static int run_client(int port, int channels, double seconds, int server_pid, double rate) {
    int nconn = channels * 2;
    int *fds = calloc((size_t)nconn, sizeof(int));
    int *rlen = calloc((size_t)nconn, sizeof(int));
    char(*rbuf)[FRAME * 32] = calloc((size_t)nconn, sizeof *rbuf);
    int ep = epoll_create1(0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                               .sin_port = htons((uint16_t)port)};
    for (int i = 0; i < nconn; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0) die("socket");
        if (connect(c, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fds[i] = c;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        usleep(200);  // keep the server's accept order equal to ours (pairs are i, i^1)
    }
    usleep(200000);
    size_t cap = 1 << 20, nlat = 0;
    int64_t *lat = malloc(cap * sizeof(int64_t));
    char frame[FRAME];
    memset(frame, 'x', sizeof frame);
    int64_t start = now_ns();
    int64_t warm_end = start + 500000000;
    int64_t end = warm_end + (int64_t)(seconds * 1e9);
    long long scheduled = 0;  // open loop: messages sent so far
    for (int c = 0; c < channels && rate <= 0; c++) {
        int64_t t = now_ns();
        memcpy(frame, &t, sizeof t);
        write_all(fds[2 * c], frame, FRAME);
    }
    double server0 = -1, self0 = 0;
    int measuring = 0;
    long long msgs = 0;
    struct epoll_event events[256];
    for (;;) {
        int64_t now = now_ns();
        if (!measuring && now >= warm_end) {
            measuring = 1;
            server0 = server_pid > 0 ? proc_cpu_seconds(server_pid) : -1;
            self0 = self_cpu_seconds();
            warm_end = now;
        }
        if (now >= end) break;
        int n;
        if (rate > 0) {
            for (;;) {  // send every message that is due, each stamped with its scheduled time
                int64_t due = start + (int64_t)((double)scheduled * 1e9 / rate);
                if (due > now) break;
                memcpy(frame, &due, sizeof due);
                write_all(fds[2 * (int)(scheduled % channels)], frame, FRAME);
                scheduled++;
            }
            int64_t next = start + (int64_t)((double)scheduled * 1e9 / rate);
            int64_t wait = next - now_ns();
            if (wait < 0) wait = 0;
            struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
            n = epoll_pwait2(ep, events, 256, &ts, NULL);
        } else {
            n = epoll_wait(ep, events, 256, 100);
        }
        for (int e = 0; e < n; e++) {
            int i = (int)events[e].data.u32;
            ssize_t r = read(fds[i], rbuf[i] + rlen[i], sizeof rbuf[i] - (size_t)rlen[i]);
            if (r <= 0) {
                if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
                fprintf(stderr, "connection %d closed\n", i);
                return 1;
            }
            rlen[i] += (int)r;
            int off = 0;
            while (rlen[i] - off >= FRAME) {
                if (i & 1) {  // the peer's copy: record, then the sender goes again
                    int64_t sent, t = now_ns();
                    memcpy(&sent, rbuf[i] + off, sizeof sent);
                    if (measuring) {
                        if (nlat == cap) lat = realloc(lat, (cap *= 2) * sizeof(int64_t));
                        lat[nlat++] = t - sent;
                        msgs++;
                    }
                    if (rate <= 0) {
                        memcpy(frame, &t, sizeof t);
                        write_all(fds[i ^ 1], frame, FRAME);
                    }
                }  // the even member's echo: consumed
                off += FRAME;
            }
            memmove(rbuf[i], rbuf[i] + off, (size_t)(rlen[i] - off));
            rlen[i] -= off;
        }
    }
    int64_t stop = now_ns();
    double server1 = server_pid > 0 ? proc_cpu_seconds(server_pid) : -1;
    double self1 = self_cpu_seconds();
    double window = (double)(stop - warm_end) / 1e9;
    qsort(lat, nlat, sizeof(int64_t), cmp_i64);
    double server_cpu = server0 >= 0 ? server1 - server0 : -1;
    printf("{\"channels\": %d, \"connections\": %d, \"seconds\": %.3f, \"chat_messages\": %lld, "
           "\"chat_messages_per_second\": %.1f, \"deliveries_per_second\": %.1f, "
           "\"latency_us\": {\"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"p99.9\": %.1f, \"max\": %.1f}, "
           "\"server_cpu_seconds\": %.3f, \"server_cpu_us_per_message\": %.3f, \"server_cpu_percent\": %.1f, "
           "\"client_cpu_seconds\": %.3f}\n",
           channels, nconn, window, msgs, msgs / window, 2 * msgs / window, pct(lat, nlat, 50) / 1e3,
           pct(lat, nlat, 90) / 1e3, pct(lat, nlat, 99) / 1e3, pct(lat, nlat, 99.9) / 1e3,
           nlat ? lat[nlat - 1] / 1e3 : 0.0, server_cpu, msgs && server_cpu >= 0 ? server_cpu * 1e6 / msgs : -1.0,
           server_cpu >= 0 ? 100 * server_cpu / window : -1.0, self1 - self0);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "server") == 0) return run_server();
    if (argc >= 5 && strcmp(argv[1], "client") == 0)
        return run_client(atoi(argv[2]), atoi(argv[3]), atof(argv[4]), argc >= 6 ? atoi(argv[5]) : 0,
                          argc >= 7 ? atof(argv[6]) : 0);
    fprintf(stderr, "usage: fanout server | fanout client PORT CHANNELS SECONDS [SERVER_PID] [RATE]\n");
    return 64;
}
