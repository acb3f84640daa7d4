/* Runs every conformance vector through the C API, one-shot and byte by
 * byte, from the text file `cargo xtask capi` exports (one vector a line):
 *
 *   NAME HEX H CONSUMED VERSION COMMAND FAMILY TRANSPORT SRC DST NTLV TYPE:HEX...
 *   NAME HEX I CODE          (CODE 0: any invalid-header code)
 *   NAME HEX P               (incomplete)
 *   NAME HEX N               (not a PROXY header)
 *
 * HEX is "-" when empty; SRC/DST are "-", "4:ADDRHEX:PORT", "6:ADDRHEX:PORT"
 * or "u:PATHHEX". Exit status 0 only when every vector passes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "proxy_hdr.h"

static int failures;

#define CHECK(cond, name, ...)                                  \
    do {                                                        \
        if (!(cond)) {                                          \
            failures++;                                         \
            fprintf(stderr, "FAIL %s: ", name);                 \
            fprintf(stderr, __VA_ARGS__);                       \
            fputc('\n', stderr);                                \
            return;                                             \
        }                                                       \
    } while (0)

/* Decodes hex ("-" is empty) into a fresh buffer; *len gets its length. */
static uint8_t *unhex(const char *hex, size_t *len) {
    size_t n = strcmp(hex, "-") == 0 ? 0 : strlen(hex) / 2;
    uint8_t *out = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        unsigned int byte;
        sscanf(hex + 2 * i, "%2x", &byte);
        out[i] = (uint8_t)byte;
    }
    *len = n;
    return out;
}

/* True when the address token matches what the header carries. */
static int same_addr(const char *want, const struct sockaddr *got, socklen_t got_len,
                     const uint8_t *path, size_t path_len) {
    if (strcmp(want, "-") == 0) return got == NULL && got_len == 0;
    if (got == NULL) return 0;
    char kind = want[0];
    const char *hex = want + 2;
    const char *colon = strchr(hex, ':');
    size_t n;
    if (kind == 'u') {
        uint8_t *bytes = unhex(hex, &n);
        int ok = got->sa_family == AF_UNIX && path_len == n && (n == 0 || memcmp(path, bytes, n) == 0);
        free(bytes);
        return ok;
    }
    char addr_hex[64] = {0};
    memcpy(addr_hex, hex, (size_t)(colon - hex));
    uint8_t *bytes = unhex(addr_hex, &n);
    unsigned port = (unsigned)atoi(colon + 1);
    int ok = 0;
    if (kind == '4' && got->sa_family == AF_INET && got_len == sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)got;
        ok = n == 4 && memcmp(&sin->sin_addr, bytes, 4) == 0 && ntohs(sin->sin_port) == port;
    } else if (kind == '6' && got->sa_family == AF_INET6 && got_len == sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)got;
        ok = n == 16 && memcmp(&sin6->sin6_addr, bytes, 16) == 0 && ntohs(sin6->sin6_port) == port;
    }
    free(bytes);
    return ok;
}

static void check_header(const char *name, const pp_header *h, char **tok) {
    /* tok: CONSUMED VERSION COMMAND FAMILY TRANSPORT SRC DST NTLV TLV... */
    CHECK(h->header_len == strtoul(tok[0], NULL, 10), name, "consumed %zu, want %s", h->header_len, tok[0]);
    CHECK(h->version == atoi(tok[1]), name, "version %u", h->version);
    CHECK(h->command == atoi(tok[2]), name, "command %u", h->command);
    CHECK(h->family == atoi(tok[3]), name, "family %u", h->family);
    CHECK(h->transport == atoi(tok[4]), name, "transport %u", h->transport);
    socklen_t len;
    const struct sockaddr *src = pp_source(h, &len);
    CHECK(same_addr(tok[5], src, len, h->source_path, h->source_path_len), name, "source, want %s", tok[5]);
    const struct sockaddr *dst = pp_destination(h, &len);
    CHECK(same_addr(tok[6], dst, len, h->destination_path, h->destination_path_len), name,
          "destination, want %s", tok[6]);
    int ntlv = atoi(tok[7]);
    size_t cursor = 0;
    pp_tlv tlv;
    for (int i = 0; i < ntlv; i++) {
        CHECK(pp_tlv_next(h, &cursor, &tlv) == 1, name, "TLV %d missing", i);
        unsigned kind = (unsigned)strtoul(tok[8 + i], NULL, 10);
        size_t n;
        uint8_t *want = unhex(strchr(tok[8 + i], ':') + 1, &n);
        int ok = tlv.kind == kind && tlv.len == n && (n == 0 || memcmp(tlv.value, want, n) == 0);
        free(want);
        CHECK(ok, name, "TLV %d differs", i);
    }
    CHECK(pp_tlv_next(h, &cursor, &tlv) == 0, name, "more TLVs than expected");
}

/* The outcome a vector expects, as pp_parse's code. */
static int expected_code(char **tok) {
    switch (tok[2][0]) {
    case 'H': return atoi(tok[3]);
    case 'I': return atoi(tok[3]);
    case 'P': return PP_INCOMPLETE;
    default: return PP_ERR_NOT_PROXY;
    }
}

static int outcome_ok(int rc, char **tok) {
    int want = expected_code(tok);
    if (tok[2][0] == 'I' && want == 0) return pp_is_invalid(rc);
    return rc == want;
}

static void run(char **tok, int ntok) {
    const char *name = tok[0];
    size_t len;
    uint8_t *input = unhex(tok[1], &len);
    pp_header h;
    size_t needed = 0;
    /* One shot, from an exactly-sized heap copy so ASan sees any overread. */
    int rc = pp_parse(input, len, &h, &needed);
    if (!outcome_ok(rc, tok)) {
        failures++;
        fprintf(stderr, "FAIL %s: one-shot gave %d (%s)\n", name, rc, pp_strerror(rc));
    } else if (tok[2][0] == 'H') {
        if (ntok < 11) { failures++; fprintf(stderr, "FAIL %s: short line\n", name); }
        else check_header(name, &h, tok + 3);
    }
    /* Byte by byte, as a reader would: each prefix in its own allocation,
     * until the answer is no longer "incomplete". */
    int streamed = PP_INCOMPLETE;
    for (size_t end = 0; end <= len && streamed == PP_INCOMPLETE; end++) {
        uint8_t *prefix = malloc(end ? end : 1);
        memcpy(prefix, input, end);
        streamed = pp_parse(end ? prefix : NULL, end, &h, &needed);
        if (streamed == PP_INCOMPLETE && needed != 0 && end + needed > len && tok[2][0] == 'H') {
            failures++;
            fprintf(stderr, "FAIL %s: needed %zu past a %zu-byte header\n", name, needed, len);
        }
        if (streamed > 0 && tok[2][0] == 'H') check_header(name, &h, tok + 3);
        free(prefix);
    }
    if (!outcome_ok(streamed, tok)) {
        failures++;
        fprintf(stderr, "FAIL %s: byte by byte gave %d (%s)\n", name, streamed, pp_strerror(streamed));
    }
    free(input);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS.txt\n", argv[0]);
        return 2;
    }
    if (strcmp(pp_version(), PP_VERSION_STRING) != 0) {
        fprintf(stderr, "library %s, header %s\n", pp_version(), PP_VERSION_STRING);
        return 1;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 2; }
    static char line[1 << 20];
    int count = 0;
    while (fgets(line, sizeof line, f)) {
        char *tok[600];
        int ntok = 0;
        for (char *t = strtok(line, " \n"); t && ntok < 600; t = strtok(NULL, " \n")) tok[ntok++] = t;
        if (ntok < 3) continue;
        run(tok, ntok);
        count++;
    }
    fclose(f);
    /* The NULL contract, from C. */
    if (pp_parse(NULL, 3, NULL, NULL) != PP_ERR_NULL) { failures++; fprintf(stderr, "FAIL NULL buffer\n"); }
    printf("test_parse: %d vectors, one-shot and byte by byte: %d failures\n", count, failures);
    return failures == 0 && count > 0 ? 0 : 1;
}
