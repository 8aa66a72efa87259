// B4 load generator for the chat server: a thin, single-thread epoll client that speaks just enough of the chat
// websocket (RFC 6455 client framing, v1 JSON text frames or v2 protobuf `send` commands) to drive the server at a
// fixed open-loop rate, so that the generator costs far less CPU than the server it measures (the SDK-based BotFleet
// costs more than the server at these rates).
//
//   wsload --port P --conns FILE --protocol v1|v2 --rates "500 1000 …" [--seconds 6] [--warmup 1] [--drain 3]
//          [--server-pid PID] [--max-p99-ms 10] [--stop-p99-ms 0] [--all-steps]
//
// FILE has one line per connection, "<user id> <channel token>"; lines 2k and 2k+1 are the two members of one
// channel (server-bench tokens writes it). Each rate step sends `rate` chat messages per second in total: message k
// of the step is scheduled at t0 + k / rate and sent by connection k mod N, so every connection sends rate / N per
// second, evenly staggered. The text (31 bytes) carries the sender's index and the scheduled send time; the peer's
// copy gives the one-way latency from the scheduled time (no coordinated omission), the sender's own copy counts as
// its echo. A chat message is 1 frame in and 2 frames out (v2 sends use command id 0: no ack, as a v1 send).
// Server CPU (/proc/<pid>/stat fields 14 + 15) is read at the end of the warm-up and at the end of the sending, and
// divided by the messages scheduled in between. A step passes when every message reached both members (after the
// drain), no connection closed and p99 <= --max-p99-ms. saturation_rate is the last passing step before the first
// failing one; after a failure the steps go on (to show the curve, and highest_passing_rate) only while nothing is
// lost and p99 <= --stop-p99-ms (default 0: stop at the first failure); --all-steps runs every step.
// Prints one JSON object with every step. Built by Benchmarks/server.sh with `cc -O2`.
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

#define RBUF 65536
#define MARK "~B4~"

struct conn {
    int fd;
    int index;
    char uid[64];
    char token[2048];
    char *rbuf;
    int rlen;
    char *wbuf;  // bytes a short write() left behind
    int wlen, wcap;
    int closed;
    long long seq;
    long long echoes, delivered;  // of the current step
};

static struct conn *conns;
static int nconn;
static int v2;
static int ep;
static int64_t *lat;
static size_t nlat, latcap;
static int64_t step_t0, step_warm_end;
static long long foreign_frames, pings_answered, closes;
static unsigned run_id;  // in v2 client_msg_ids, so that a second run on the same channels is not de-duplicated

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

static void want_out(struct conn *c, int on) {
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u32 = (uint32_t)c->index};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void send_bytes(struct conn *c, const char *data, int len) {
    if (c->closed) return;
    if (c->wlen == 0) {
        ssize_t n = write(c->fd, data, (size_t)len);
        if (n == len) return;
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                c->closed = 1;
                return;
            }
            n = 0;
        }
        data += n;
        len -= (int)n;
        want_out(c, 1);
    }
    if (c->wlen + len > c->wcap) {
        c->wcap = (c->wlen + len) * 2;
        c->wbuf = realloc(c->wbuf, (size_t)c->wcap);
    }
    memcpy(c->wbuf + c->wlen, data, (size_t)len);
    c->wlen += len;
}

static void flush_out(struct conn *c) {
    while (c->wlen > 0) {
        ssize_t n = write(c->fd, c->wbuf, (size_t)c->wlen);
        if (n < 0) {
            if (errno == EAGAIN) return;
            if (errno == EINTR) continue;
            c->closed = 1;
            return;
        }
        memmove(c->wbuf, c->wbuf + n, (size_t)(c->wlen - n));
        c->wlen -= (int)n;
    }
    want_out(c, 0);
}

// A masked client frame; the mask key is 0 (allowed by RFC 6455, and it leaves the payload as is).
static void send_frame(struct conn *c, int opcode, const char *payload, int len) {
    char frame[4096];
    int h = 0;
    frame[h++] = (char)(0x80 | opcode);
    if (len < 126) {
        frame[h++] = (char)(0x80 | len);
    } else {
        frame[h++] = (char)(0x80 | 126);
        frame[h++] = (char)(len >> 8);
        frame[h++] = (char)(len & 0xff);
    }
    memset(frame + h, 0, 4);
    h += 4;
    memcpy(frame + h, payload, (size_t)len);
    send_bytes(c, frame, h + len);
}

static void send_chat(struct conn *c, int64_t scheduled) {
    char text[64], payload[512];
    // 31 bytes: marker, sender index (5 digits), scheduled time (19 digits), padding.
    snprintf(text, sizeof text, MARK "%05d:%019lld~.", c->index, (long long)scheduled);
    int len;
    if (v2) {
        char id[32];
        int idlen = snprintf(id, sizeof id, "%x-%d-%lld", run_id, c->index, c->seq);
        int tlen = (int)strlen(text);
        int cmdlen = 2 + idlen + 2 + tlen;  // SendCommand{client_msg_id = 1, text = 2}
        len = 0;
        payload[len++] = 0x12;  // ChatClientFrame.send = 2 (id 0: no reply wanted)
        payload[len++] = (char)cmdlen;
        payload[len++] = 0x0a;
        payload[len++] = (char)idlen;
        memcpy(payload + len, id, (size_t)idlen);
        len += idlen;
        payload[len++] = 0x12;
        payload[len++] = (char)tlen;
        memcpy(payload + len, text, (size_t)tlen);
        len += tlen;
        send_frame(c, 0x2, payload, len);
    } else {
        len = snprintf(payload, sizeof payload, "{\"event\":0,\"user_id\":\"%s\",\"payload\":\"%s\"}", c->uid, text);
        send_frame(c, 0x1, payload, len);
    }
    c->seq++;
}

static void on_message(struct conn *c, const char *data, size_t len, int opcode) {
    if (opcode == 0x9) {  // websocket ping (v1 keepalive): answer with a pong carrying the same data
        send_frame(c, 0xA, data, (int)len);
        pings_answered++;
        return;
    }
    if (opcode == 0x8) {
        c->closed = 1;
        closes++;
        return;
    }
    if (opcode != 0x1 && opcode != 0x2) return;
    if (v2 && len >= 1 && (unsigned char)data[0] == 0x62) {  // ChatServerFrame.ping = 12: answer Pong (field 8)
        const char pong[2] = {0x42, 0x00};
        send_frame(c, 0x2, pong, 2);
        pings_answered++;
        return;
    }
    const char *m = memmem(data, len, MARK, sizeof MARK - 1);
    if (!m || (size_t)(m - data) + 4 + 5 + 1 + 19 > len) {
        foreign_frames++;
        return;
    }
    int sender = 0;
    for (int k = 0; k < 5; k++) sender = sender * 10 + (m[4 + k] - '0');
    int64_t scheduled = 0;
    for (int k = 0; k < 19; k++) scheduled = scheduled * 10 + (m[10 + k] - '0');
    if (scheduled < step_t0) return;  // a straggler of an earlier step
    if (sender == c->index) {
        c->echoes++;
        return;
    }
    c->delivered++;
    if (scheduled >= step_warm_end) {
        if (nlat == latcap) lat = realloc(lat, (latcap = latcap ? latcap * 2 : 1 << 20) * sizeof(int64_t));
        lat[nlat++] = now_ns() - scheduled;
    }
}

static void on_readable(struct conn *c) {
    for (;;) {
        size_t want = (size_t)(RBUF - c->rlen);
        ssize_t n = read(c->fd, c->rbuf + c->rlen, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN) c->closed = 1;
            break;
        }
        if (n == 0) {
            if (!c->closed) closes++;
            c->closed = 1;
            epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            break;
        }
        c->rlen += (int)n;
        int off = 0;
        for (;;) {
            const unsigned char *p = (const unsigned char *)c->rbuf + off;
            int avail = c->rlen - off;
            if (avail < 2) break;
            size_t plen = p[1] & 0x7f;
            int h = 2;
            if (plen == 126) {
                if (avail < 4) break;
                plen = (size_t)p[2] << 8 | p[3];
                h = 4;
            } else if (plen == 127) {
                if (avail < 10) break;
                plen = 0;
                for (int k = 0; k < 8; k++) plen = plen << 8 | p[2 + k];
                h = 10;
            }
            if (plen > RBUF - 16) {
                fprintf(stderr, "frame too large\n");
                exit(1);
            }
            if ((size_t)avail < h + plen) break;
            on_message(c, (const char *)p + h, plen, p[0] & 0x0f);
            off += h + (int)plen;
        }
        memmove(c->rbuf, c->rbuf + off, (size_t)(c->rlen - off));
        c->rlen -= off;
        if ((size_t)n < want) break;
    }
}

static void poll_until(int64_t deadline) {
    struct epoll_event events[512];
    for (;;) {
        int64_t now = now_ns();
        if (now >= deadline) return;
        int64_t wait = deadline - now;
        struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
        int n = epoll_pwait2(ep, events, 512, &ts, NULL);
        for (int e = 0; e < n; e++) {
            struct conn *c = &conns[events[e].data.u32];
            if (events[e].events & EPOLLOUT) flush_out(c);
            if (events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
        }
    }
}

static int connect_one(struct conn *c, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                               .sin_port = htons((uint16_t)port)};
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[2048];
    int len;
    if (v2) {
        len = snprintf(req, sizeof req,
                       "GET /api/chat HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                       "Sec-WebSocket-Protocol: rc.v2.proto\r\nAuthorization: Bearer %s\r\n\r\n",
                       port, c->token);
    } else {
        len = snprintf(req, sizeof req,
                       "GET /api/chat?uid=%s&access_token=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n",
                       c->uid, c->token, port);
    }
    if (write(fd, req, (size_t)len) != len) die("write upgrade");
    // Read the response head; whatever follows it is websocket frames.
    for (;;) {
        ssize_t n = read(fd, c->rbuf + c->rlen, (size_t)(RBUF - c->rlen));
        if (n <= 0) die("read upgrade");
        c->rlen += (int)n;
        char *end = memmem(c->rbuf, (size_t)c->rlen, "\r\n\r\n", 4);
        if (!end) continue;
        if (strncmp(c->rbuf, "HTTP/1.1 101", 12) != 0) {
            fprintf(stderr, "connection %d: upgrade refused: %.*s\n", c->index, (int)(end - c->rbuf), c->rbuf);
            return -1;
        }
        int head = (int)(end - c->rbuf) + 4;
        memmove(c->rbuf, c->rbuf + head, (size_t)(c->rlen - head));
        c->rlen -= head;
        break;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    c->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)c->index};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(double p) {
    if (nlat == 0) return 0;
    size_t k = (size_t)(p / 100.0 * (double)nlat + 0.999999);
    if (k < 1) k = 1;
    if (k > nlat) k = nlat;
    return lat[k - 1] / 1e6;
}

int main(int argc, char **argv) {
    int port = 0, server_pid = 0, all_steps = 0;
    const char *file = NULL, *rates = "500";
    double seconds = 6, warmup = 1, drain = 3, max_p99_ms = 10, stop_p99_ms = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--all-steps")) {
            all_steps = 1;
            continue;
        }
        if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--conns")) file = v;
        else if (!strcmp(a, "--protocol")) v2 = !strcmp(v, "v2");
        else if (!strcmp(a, "--rates")) rates = v;
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--warmup")) warmup = atof(v);
        else if (!strcmp(a, "--drain")) drain = atof(v);
        else if (!strcmp(a, "--server-pid")) server_pid = atoi(v);
        else if (!strcmp(a, "--max-p99-ms")) max_p99_ms = atof(v);
        else if (!strcmp(a, "--stop-p99-ms")) stop_p99_ms = atof(v);
        else {
            fprintf(stderr, "wsload: unknown option %s\n", a);
            return 64;
        }
        i++;
    }
    if (!port || !file) {
        fprintf(stderr, "usage: wsload --port P --conns FILE --protocol v1|v2 --rates \"R …\" [--seconds S] "
                        "[--warmup W] [--drain D] [--server-pid PID] [--max-p99-ms 10] [--stop-p99-ms 0] "
                        "[--all-steps]\n");
        return 64;
    }
    FILE *f = fopen(file, "r");
    if (!f) die(file);
    int cap = 1024;
    conns = calloc((size_t)cap, sizeof *conns);
    char uid[64], token[2048];
    while (fscanf(f, "%63s %2047s", uid, token) == 2) {
        if (nconn == cap) conns = realloc(conns, (size_t)(cap *= 2) * sizeof *conns);
        struct conn *c = &conns[nconn];
        memset(c, 0, sizeof *c);
        c->index = nconn++;
        snprintf(c->uid, sizeof c->uid, "%s", uid);
        snprintf(c->token, sizeof c->token, "%s", token);
        c->rbuf = malloc(RBUF);
    }
    fclose(f);
    if (nconn < 2 || nconn % 2) {
        fprintf(stderr, "wsload: need an even number of connections, got %d\n", nconn);
        return 1;
    }
    ep = epoll_create1(0);
    run_id = (unsigned)(now_ns() ^ getpid());
    int64_t c0 = now_ns();
    for (int i = 0; i < nconn; i++)
        if (connect_one(&conns[i], port) < 0) return 1;
    double connect_seconds = (now_ns() - c0) / 1e9;
    poll_until(now_ns() + 1000000000);  // hello, waiting/joined frames
    printf("{\"protocol\": \"%s\", \"connections\": %d, \"channels\": %d, \"connect_seconds\": %.3f, "
           "\"seconds_per_step\": %.1f, \"warmup_seconds\": %.1f, \"drain_seconds_max\": %.1f, "
           "\"max_p99_ms\": %.1f, \"text_bytes\": 31, \"steps\": [",
           v2 ? "v2" : "v1", nconn, nconn / 2, connect_seconds, seconds, warmup, drain, max_p99_ms);
    const char *r = rates;
    int first = 1;
    double last_pass = 0, highest_pass = 0;
    int failed = 0;
    while (*r) {
        char *next;
        double rate = strtod(r, &next);
        if (next == r) break;
        r = next;
        if (rate <= 0) continue;
        for (int i = 0; i < nconn; i++) conns[i].echoes = conns[i].delivered = 0;
        nlat = 0;
        long long closes0 = closes;
        int64_t interval = (int64_t)(1e9 / rate);
        long long total = (long long)(rate * seconds);
        int64_t t0 = now_ns() + 20000000;
        step_t0 = t0;
        step_warm_end = t0 + (int64_t)(warmup * 1e9);
        long long k = 0, measured = 0;
        double server0 = -1, self0 = 0, server1 = -1, self1 = 0;
        int64_t w0 = 0, w1 = 0;
        while (k < total) {
            int64_t now = now_ns();
            while (k < total && t0 + k * interval <= now) {
                int64_t scheduled = t0 + k * interval;
                if (!w0 && scheduled >= step_warm_end) {
                    w0 = now_ns();
                    server0 = server_pid ? proc_cpu_seconds(server_pid) : -1;
                    self0 = self_cpu_seconds();
                }
                if (w0) measured++;
                send_chat(&conns[k % nconn], scheduled);
                k++;
            }
            if (k < total) poll_until(t0 + k * interval);
        }
        w1 = now_ns();
        server1 = server_pid ? proc_cpu_seconds(server_pid) : -1;
        self1 = self_cpu_seconds();
        // Drain: until every message reached both members, or the drain time is up.
        int64_t drain_end = now_ns() + (int64_t)(drain * 1e9);
        long long echoes = 0, delivered = 0;
        int64_t drained_at = 0;
        while (now_ns() < drain_end) {
            poll_until(now_ns() + 20000000);
            echoes = delivered = 0;
            for (int i = 0; i < nconn; i++) {
                echoes += conns[i].echoes;
                delivered += conns[i].delivered;
            }
            if (echoes >= total && delivered >= total) {
                drained_at = now_ns();
                break;
            }
        }
        qsort(lat, nlat, sizeof(int64_t), cmp_i64);
        double window = (w1 - w0) / 1e9;
        double server_cpu = server0 >= 0 && server1 >= 0 ? server1 - server0 : -1;
        long long lost = total - delivered, lost_echoes = total - echoes;
        int closed = 0;
        for (int i = 0; i < nconn; i++) closed += conns[i].closed;
        double p99 = pct_ms(99);
        int pass = lost == 0 && lost_echoes == 0 && closed == 0 && p99 <= max_p99_ms;
        printf("%s\n  {\"rate\": %.0f, \"messages\": %lld, \"delivered\": %lld, \"echoes\": %lld, \"lost\": %lld, "
               "\"lost_echoes\": %lld, \"closed_connections\": %d, \"closes_this_step\": %lld, "
               "\"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p99.9\": %.3f, \"max\": %.3f}, "
               "\"latency_samples\": %zu, \"measured_window_seconds\": %.3f, \"measured_messages\": %lld, "
               "\"server_cpu_seconds\": %.3f, \"server_cpu_us_per_message\": %.2f, \"server_cpu_percent\": %.1f, "
               "\"client_cpu_us_per_message\": %.2f, \"drain_seconds\": %.3f, \"pass\": %s}",
               first ? "" : ",", rate, total, delivered, echoes, lost, lost_echoes, closed, closes - closes0,
               pct_ms(50), pct_ms(90), p99, pct_ms(99.9), nlat ? lat[nlat - 1] / 1e6 : 0.0, nlat, window,
               measured, server_cpu, measured && server_cpu >= 0 ? server_cpu * 1e6 / measured : -1.0,
               server_cpu >= 0 && window > 0 ? 100 * server_cpu / window : -1.0,
               measured ? (self1 - self0) * 1e6 / measured : -1.0, drained_at ? (drained_at - w1) / 1e9 : -1.0,
               pass ? "true" : "false");
        fflush(stdout);
        first = 0;
        if (pass && !failed) last_pass = rate;
        if (pass) highest_pass = rate;
        if (!pass) failed = 1;
        // Past the first failure, go on only while nothing is lost and p99 stays under --stop-p99-ms.
        if (!pass && !all_steps && (lost || lost_echoes || closed || p99 > stop_p99_ms)) break;
        poll_until(now_ns() + 500000000);
    }
    printf("\n], \"pings_answered\": %lld, \"foreign_frames\": %lld, \"saturation_rate\": %.0f, "
           "\"highest_passing_rate\": %.0f, \"stop_p99_ms\": %.1f}\n",
           pings_answered, foreign_frames, last_pass, highest_pass, stop_p99_ms);
    return 0;
}
