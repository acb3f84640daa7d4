/* libevent_https: an HTTPS server on libevent 2 + OpenSSL behind a proxy
 * that sends the PROXY protocol (frp, HAProxy send-proxy-v2, nginx
 * proxy_protocol, curl --haproxy-protocol). The seed's server, fixed: per
 * connection it reads the PROXY header first, with pp_read_header_fd (which
 * consumes exactly the header and leaves the ClientHello in the kernel),
 * then hands the fd to bufferevent_openssl_socket_new for TLS, then answers
 * each HTTP/1.1 request with whoami's JSON: client, peer, proxy, tls.
 *
 *   libevent_https [--listen 127.0.0.1:8443] [--cert FILE --key FILE]
 *                  [--proxy-protocol require|optional|off] [--trusted CIDR]...
 *                  [--header-timeout SECONDS]
 *
 * Without --cert/--key a self-signed P-256 certificate for "localhost" is
 * made at start. Loopback is the only trusted proxy unless --trusted says
 * otherwise (the spec, section 5: accept headers only from known proxies). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "proxy_hdr.h"

static SSL_CTX *ssl_ctx;
static pp_config pp_cfg;
static double header_timeout = 5.0;

/* One connection: its fd while the header is awaited, then its bufferevent. */
struct conn {
    struct event_base *base;
    evutil_socket_t fd;
    struct event *wait; /* readable-or-deadline, before the header */
    struct timespec deadline;
    char peer[80], client[300];
    char *proxy_json; /* "null" or the header as JSON */
    int closing;
};

/* "ip:port" or "[ip6]:port" for an AF_INET / AF_INET6 address. */
static void format_addr(const struct sockaddr *sa, char *out, size_t cap) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, ntohs(sin->sin_port));
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, ntohs(sin6->sin6_port));
    } else {
        snprintf(out, cap, "unknown");
    }
}

/* Appends bytes as a JSON string: quotes, backslashes, controls and
 * non-ASCII bytes escaped, so the output is valid JSON whatever the proxy sent. */
static void json_str(struct evbuffer *b, const uint8_t *s, size_t n) {
    evbuffer_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') evbuffer_add_printf(b, "\\%c", s[i]);
        else if (s[i] < 0x20 || s[i] >= 0x7f) evbuffer_add_printf(b, "\\u%04x", s[i]);
        else evbuffer_add(b, &s[i], 1);
    }
    evbuffer_add(b, "\"", 1);
}

static void json_addr(struct evbuffer *b, const pp_header *h, int source) {
    socklen_t len;
    const struct sockaddr *sa = source ? pp_source(h, &len) : pp_destination(h, &len);
    if (!sa) { evbuffer_add_printf(b, "null"); return; }
    if (sa->sa_family == AF_UNIX) {
        const uint8_t *p = source ? h->source_path : h->destination_path;
        size_t n = source ? h->source_path_len : h->destination_path_len;
        char text[300];
        snprintf(text, sizeof text, "unix:%.*s", (int)n, (const char *)p);
        json_str(b, (const uint8_t *)text, strlen(text));
        return;
    }
    char text[80];
    format_addr(sa, text, sizeof text);
    json_str(b, (const uint8_t *)text, strlen(text));
}

static char *take_string(struct evbuffer *b) {
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    evbuffer_remove(b, s, n);
    s[n] = 0;
    evbuffer_free(b);
    return s;
}

/* The header as whoami reports it (the vectors' JSON, TLVs decoded). */
static char *proxy_json(const pp_header *h) {
    static const char *transports[3][3] = {{"unspec", "unspec", "unspec"},
                                           {"unspec", "tcp4", "udp4"},
                                           {"unspec", "tcp6", "udp6"}};
    struct evbuffer *b = evbuffer_new();
    const char *transport = "unspec";
    if (h->family == PP_FAMILY_UNIX) transport = h->transport == PP_TRANSPORT_DGRAM ? "unix-dgram" : "unix-stream";
    else if (h->family <= PP_FAMILY_INET6 && h->transport <= 2) transport = transports[h->family][h->transport];
    evbuffer_add_printf(b, "{\"version\":%u,\"command\":\"%s\",\"transport\":\"%s\",\"source\":", h->version,
                        h->command == PP_CMD_PROXY ? "proxy" : "local", transport);
    json_addr(b, h, 1);
    evbuffer_add_printf(b, ",\"destination\":");
    json_addr(b, h, 0);
    evbuffer_add_printf(b, ",\"tlvs\":[");
    size_t cursor = 0;
    pp_tlv tlv;
    for (int first = 1; pp_tlv_next(h, &cursor, &tlv) == 1; first = 0) {
        evbuffer_add_printf(b, "%s{\"type\":%u,\"value_hex\":\"", first ? "" : ",", tlv.kind);
        for (size_t i = 0; i < tlv.len; i++) evbuffer_add_printf(b, "%02x", tlv.value[i]);
        evbuffer_add_printf(b, "\"");
        const char *names[] = {[0x01] = "alpn", [0x02] = "authority", [0x05] = "unique_id"};
        if (tlv.kind < sizeof names / sizeof *names && names[tlv.kind]) {
            evbuffer_add_printf(b, ",\"name\":\"%s\",\"%s\":", names[tlv.kind], names[tlv.kind]);
            json_str(b, tlv.value, tlv.len);
        } else if (tlv.kind == 0x20) {
            pp_ssl_info ssl;
            pp_ssl(h, &ssl);
            evbuffer_add_printf(b, ",\"name\":\"ssl\",\"client\":%u,\"verify\":%u,\"verified\":%s", ssl.client,
                                ssl.verify, ssl.verified ? "true" : "false");
            const pp_bytes *fields[] = {&ssl.version, &ssl.cn, &ssl.cipher, &ssl.sig_alg, &ssl.key_alg};
            const char *keys[] = {"version", "cn", "cipher", "sig_alg", "key_alg"};
            for (int i = 0; i < 5; i++) {
                if (!fields[i]->ptr) continue;
                evbuffer_add_printf(b, ",\"%s\":", keys[i]);
                json_str(b, fields[i]->ptr, fields[i]->len);
            }
        }
        evbuffer_add_printf(b, "}");
    }
    evbuffer_add_printf(b, "]}");
    return take_string(b);
}

static void conn_free(struct conn *c, struct bufferevent *bev) {
    if (bev) bufferevent_free(bev); /* closes the fd (BEV_OPT_CLOSE_ON_FREE) */
    else evutil_closesocket(c->fd);
    if (c->wait) event_free(c->wait);
    free(c->proxy_json);
    free(c);
}

static void answer(struct conn *c, struct bufferevent *bev) {
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    struct evbuffer *body = evbuffer_new();
    evbuffer_add_printf(body, "{\"client\":");
    json_str(body, (const uint8_t *)c->client, strlen(c->client));
    evbuffer_add_printf(body, ",\"peer\":");
    json_str(body, (const uint8_t *)c->peer, strlen(c->peer));
    evbuffer_add_printf(body, ",\"proxy\":%s,\"tls\":{\"version\":\"%s\",\"cipher\":\"%s\"},\"http\":\"1.1\"}\n",
                        c->proxy_json, SSL_get_version(ssl), SSL_get_cipher_name(ssl));
    struct evbuffer *out = bufferevent_get_output(bev);
    evbuffer_add_printf(out,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
                        evbuffer_get_length(body), c->closing ? "Connection: close\r\n" : "");
    evbuffer_add_buffer(out, body);
    evbuffer_free(body);
}

/* Each whole request head gets one answer (GET without a body assumed). */
static void on_read(struct bufferevent *bev, void *arg) {
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
        if (end.pos < 0) break;
        size_t n = (size_t)end.pos + 4;
        char *head = malloc(n + 1);
        evbuffer_remove(in, head, n);
        head[n] = 0;
        for (char *p = head; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        c->closing = strstr(head, "\r\nconnection: close") != NULL;
        free(head);
        answer(c, bev);
        if (c->closing) break;
    }
    if (evbuffer_get_length(in) > 16384) c->closing = 1; /* a head too long: stop */
}

static void on_write(struct bufferevent *bev, void *arg) {
    struct conn *c = arg;
    if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0) conn_free(c, bev);
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
    struct conn *c = arg;
    if (what & BEV_EVENT_ERROR) {
        unsigned long e = bufferevent_get_openssl_error(bev);
        if (e) fprintf(stderr, "tls error peer=%s: %s\n", c->peer, ERR_error_string(e, NULL));
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) conn_free(c, bev);
}

static long ms_left(const struct timespec *deadline) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
    return ms > 0 ? ms : 0;
}

/* The first bytes arrived (or the deadline passed): read the PROXY header,
 * then start TLS on the same fd. Usually the header is whole in the first
 * segment and pp_read_header_fd returns at once; a header split across
 * segments blocks this loop at most until the connection's deadline. */
static void on_first_bytes(evutil_socket_t fd, short what, void *arg) {
    struct conn *c = arg;
    long left = ms_left(&c->deadline);
    if ((what & EV_TIMEOUT) || left == 0) {
        fprintf(stderr, "header error peer=%s: %s\n", c->peer, pp_strerror(PP_ERR_TIMEOUT));
        conn_free(c, NULL);
        return;
    }
    pp_config cfg = pp_cfg;
    cfg.timeout_ms = (uint32_t)left;
    uint8_t buf[4096];
    pp_header h;
    int rc = pp_read_header_fd(fd, &cfg, buf, sizeof buf, &h);
    if (rc < 0) {
        fprintf(stderr, "header error peer=%s: %s\n", c->peer, pp_strerror(rc));
        conn_free(c, NULL);
        return;
    }
    /* The header's source is the client, for a PROXY command with addresses;
     * LOCAL (health checks) and UNKNOWN keep the socket's peer (section 2). */
    socklen_t len;
    const struct sockaddr *src = rc > 0 && h.command == PP_CMD_PROXY ? pp_source(&h, &len) : NULL;
    if (src && src->sa_family == AF_UNIX)
        snprintf(c->client, sizeof c->client, "unix:%.*s", (int)h.source_path_len, (const char *)h.source_path);
    else if (src) format_addr(src, c->client, sizeof c->client);
    else snprintf(c->client, sizeof c->client, "%s", c->peer);
    c->proxy_json = rc > 0 ? proxy_json(&h) : strdup("null");
    fprintf(stderr, "accepted peer=%s client=%s header=%d\n", c->peer, c->client, rc);
    event_free(c->wait);
    c->wait = NULL;
    /* Every byte after the header is still in the kernel: TLS reads it. */
    SSL *ssl = SSL_new(ssl_ctx);
    struct bufferevent *bev =
        bufferevent_openssl_socket_new(c->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        SSL_free(ssl);
        conn_free(c, NULL);
        return;
    }
    struct timeval idle = {30, 0};
    bufferevent_set_timeouts(bev, &idle, &idle);
    bufferevent_setcb(bev, on_read, on_write, on_event, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg) {
    (void)l; (void)salen; (void)arg;
    struct conn *c = calloc(1, sizeof *c);
    c->base = evconnlistener_get_base(l);
    c->fd = fd;
    format_addr(sa, c->peer, sizeof c->peer);
    clock_gettime(CLOCK_MONOTONIC, &c->deadline);
    long ms = (long)(header_timeout * 1000);
    c->deadline.tv_sec += ms / 1000;
    c->deadline.tv_nsec += (ms % 1000) * 1000000;
    if (c->deadline.tv_nsec >= 1000000000) { c->deadline.tv_sec++; c->deadline.tv_nsec -= 1000000000; }
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    c->wait = event_new(c->base, fd, EV_READ, on_first_bytes, c);
    event_add(c->wait, &tv);
}

static int self_signed(SSL_CTX *ctx) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (!key || !x) return -1;
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 7L * 24 * 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(x, name);
    int ok = X509_sign(x, key, EVP_sha256()) > 0 && SSL_CTX_use_certificate(ctx, x) == 1 &&
             SSL_CTX_use_PrivateKey(ctx, key) == 1;
    X509_free(x);
    EVP_PKEY_free(key);
    return ok ? 0 : -1;
}

static void usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s [--listen ADDR:PORT] [--cert FILE --key FILE] [--proxy-protocol require|optional|off]\n"
            "          [--trusted CIDR]... [--header-timeout SECONDS]\n", argv0);
    exit(2);
}

int main(int argc, char **argv) {
    const char *listen = "127.0.0.1:8443", *cert = NULL, *key = NULL;
    static char trusted[4096];
    pp_cfg = pp_config_default();
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val) usage(argv[0]);
        i++;
        if (!strcmp(arg, "--listen")) listen = val;
        else if (!strcmp(arg, "--cert")) cert = val;
        else if (!strcmp(arg, "--key")) key = val;
        else if (!strcmp(arg, "--header-timeout")) header_timeout = atof(val);
        else if (!strcmp(arg, "--trusted")) {
            size_t used = strlen(trusted);
            snprintf(trusted + used, sizeof trusted - used, "%s%s", used ? "," : "", val);
        } else if (!strcmp(arg, "--proxy-protocol")) {
            if (!strcmp(val, "require")) pp_cfg.policy = PP_POLICY_REQUIRE;
            else if (!strcmp(val, "optional")) pp_cfg.policy = PP_POLICY_OPTIONAL;
            else if (!strcmp(val, "off")) pp_cfg.policy = PP_POLICY_OFF;
            else usage(argv[0]);
        } else usage(argv[0]);
    }
    if (header_timeout <= 0 || (!cert) != (!key)) usage(argv[0]);
    pp_cfg.trusted = trusted[0] ? trusted : "127.0.0.0/8,::1";
    if (strcmp(pp_version(), PP_VERSION_STRING) != 0) {
        fprintf(stderr, "proxy-hdr library %s does not match its header %s\n", pp_version(), PP_VERSION_STRING);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    ssl_ctx = SSL_CTX_new(TLS_server_method());
    int loaded = cert ? (SSL_CTX_use_certificate_chain_file(ssl_ctx, cert) == 1 &&
                         SSL_CTX_use_PrivateKey_file(ssl_ctx, key, SSL_FILETYPE_PEM) == 1) - 1
                      : self_signed(ssl_ctx);
    if (loaded != 0) {
        ERR_print_errors_fp(stderr);
        return 1;
    }
    struct sockaddr_storage ss;
    int sslen = sizeof ss;
    if (evutil_parse_sockaddr_port(listen, (struct sockaddr *)&ss, &sslen) != 0) usage(argv[0]);
    struct event_base *base = event_base_new();
    struct evconnlistener *l = evconnlistener_new_bind(base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                                       128, (struct sockaddr *)&ss, sslen);
    if (!l) {
        fprintf(stderr, "cannot listen on %s: %s\n", listen, strerror(errno));
        return 1;
    }
    fprintf(stderr, "listening on %s (proxy protocol policy %d, trusted %s, header timeout %.3gs)\n", listen,
            pp_cfg.policy, pp_cfg.trusted, header_timeout);
    event_base_dispatch(base);
    evconnlistener_free(l);
    event_base_free(base);
    SSL_CTX_free(ssl_ctx);
    return 0;
}
