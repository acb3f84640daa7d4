#!/usr/bin/env python3
"""Generates the conformance vectors under tests/vectors/ (Python 3 stdlib only).

Run from anywhere: `python3 tests/gen_vectors.py`. The output is deterministic.
It rewrites the `*.json` files of its own folders (v1, v1-invalid, v2,
v2-invalid, v2-tlv, incomplete, not-proxy) and never touches `captures/`.

Every case is written down as intent: the pieces a header is built from
(protocol word, addresses, ports, TLV list) or, for a rejected input, the rule
it breaks. Bytes and expectations are both derived from that intent with
`struct`, `ipaddress` and the small CRC-32C below; the Rust parser is never
run. As a check on the cases themselves (not as the oracle), a small model of
the rules in `doc/proxy-protocol.txt` §2.1 and §2.2 re-parses every input at
every prefix length and must agree with the stated intent, so a miscounted line
or a wrong TLV length is caught here instead of being blamed on the parser.
"""

import ipaddress
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "vectors")
FOLDERS = ["v1", "v1-invalid", "v2", "v2-invalid", "v2-tlv", "incomplete", "not-proxy"]

CR, LF, SP = 0x0D, 0x0A, 0x20
V1_MAX = 107
SIG = bytes.fromhex("0d0a0d0a000d0a515549540a")

# Bytes that follow a header on a real connection (leftover handling).
TLS_HELLO = bytes.fromhex("16030100c4010000c00303") + bytes(range(0x40, 0x60))
HTTP_REQ = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
SSH_BANNER = b"SSH-2.0-OpenSSH_9.6\r\n"


# --- CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, as RFC 4960 App. B.

def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the published check value
assert crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 B.4, 32 bytes of zeros


# --- Address text as Rust's Display prints it (RFC 5952, mapped IPv4 dotted).

def v6_text(addr):
    packed = ipaddress.IPv6Address(addr).packed
    segs = list(struct.unpack(">8H", packed))
    if segs[:5] == [0] * 5 and segs[5] == 0xFFFF:
        return "::ffff:" + str(ipaddress.IPv4Address(packed[12:]))
    best_start, best_len, i = -1, 0, 0
    while i < 8:
        if segs[i] == 0:
            j = i
            while j < 8 and segs[j] == 0:
                j += 1
            if j - i > best_len:
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    if best_len < 2:
        return ":".join("%x" % s for s in segs)
    head = ":".join("%x" % s for s in segs[:best_start])
    tail = ":".join("%x" % s for s in segs[best_start + best_len:])
    return head + "::" + tail


for _text, _want in [
    ("::1", "::1"), ("::", "::"), ("2001:DB8::ABCD", "2001:db8::abcd"),
    ("::192.0.2.1", "::c000:201"), ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
    ("1:0:0:1:0:0:0:1", "1:0:0:1::1"), ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
    ("::ffff:7f00:1", "::ffff:127.0.0.1"), ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
]:
    assert v6_text(_text) == _want, (_text, v6_text(_text))


def v6_valid(text):
    """RFC 4291 text form without a zone, as Rust's Ipv6Addr parser accepts."""
    if "%" in text or not text:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def sock4(addr, port):
    return "%s:%d" % (ipaddress.IPv4Address(addr), port)


def sock6(addr, port):
    return "[%s]:%d" % (v6_text(addr), port)


def unix_text(raw):
    return "unix:" + raw.split(b"\0", 1)[0].decode("utf-8", "replace")


# --- Expectation objects (the JSON `expect` forms).

def hdr_expect(version, command, transport, source, destination, tlvs, consumed):
    return {
        "version": version,
        "command": command,
        "transport": transport,
        "source": source,
        "destination": destination,
        "tlvs": [{"type": t, "value_hex": v.hex()} for t, v in tlvs],
        "consumed": consumed,
    }


def invalid(why):
    return {"error": "invalid", "why": why}


INCOMPLETE = {"error": "incomplete"}
NOT_PROXY = {"error": "not_proxy"}

# Codes of the core's Error::code(); anything else in `why` is free text that
# accepts any rejection (used where the rules leave the reported rule open).
CODES = {
    "v1-line-too-long", "v1-unknown-protocol", "v1-extra-space", "v1-missing-field",
    "v1-invalid-ipv4", "v1-invalid-ipv6", "v1-family-mismatch", "v1-invalid-port",
    "v1-expected-crlf", "v2-unsupported-version", "v2-unknown-command",
    "v2-unknown-family", "v2-unknown-protocol", "v2-address-block-too-short",
    "v2-tlv-truncated", "v2-tlv-trailing-bytes", "v2-crc32c-length",
    "v2-crc32c-mismatch", "v2-unique-id-too-long", "v2-unlisted-address-type",
    "v2-ssl-too-short", "v2-ssl-sub-tlv-framing",
}


# --- The model (a self-check on the cases, see the module docs).

class Incomplete(Exception):
    pass


class Reject(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


# A rejection the rules do not pin to one code; vectors use free text there.
OPEN = "open"


def model(buf):
    if not buf:
        raise Incomplete
    if buf[0] == ord("P"):
        return model_v1(buf)
    if buf[0] == CR:
        return model_v2(buf)
    raise Reject("not_proxy")


def model_v1(buf):
    def at(i):
        if i >= V1_MAX:
            raise Reject("v1-line-too-long")
        if i >= len(buf):
            raise Incomplete
        return buf[i]

    for i, c in enumerate(b"PROXY "):
        if at(i) != c:
            raise Reject("not_proxy")
    first = at(6)
    if first == ord("U"):
        for j, c in enumerate(b"UNKNOWN"):
            if at(6 + j) != c:
                raise Reject("v1-unknown-protocol")
        if at(13) == LF:
            raise Reject("v1-expected-crlf")
        if at(13) not in (CR, SP):
            raise Reject("v1-unknown-protocol")
        j = 13
        while True:
            if at(j) == CR and at(j + 1) == LF:
                return hdr_expect(1, "proxy", "unspec", None, None, [], j + 2)
            j += 1
    for j, c in enumerate(b"TCP"):
        if at(6 + j) != c:
            raise Reject("v1-unknown-protocol")
    fam = at(9)
    if fam not in b"46":
        raise Reject("v1-unknown-protocol")
    nxt = at(10)
    if nxt == CR:
        raise Reject("v1-missing-field")
    if nxt != SP:
        raise Reject(OPEN if nxt == LF else "v1-unknown-protocol")

    def field_start(i):
        c = at(i)
        if c == SP:
            raise Reject("v1-extra-space")
        if c in (CR, LF):
            raise Reject("v1-missing-field")

    def addr4(i):
        field_start(i)
        dots, cur, j = 0, "", i
        while True:
            c = at(j)
            done = dots == 3 and cur != ""
            if c == SP:
                if done:
                    return buf[i:j].decode(), j + 1
                raise Reject("v1-invalid-ipv4")
            if c in (CR, LF):
                raise Reject("v1-missing-field" if done else OPEN)
            if c == ord(":"):
                raise Reject("v1-family-mismatch")
            if 0x30 <= c <= 0x39:
                if cur == "0":
                    raise Reject("v1-invalid-ipv4")
                cur += chr(c)
                if int(cur) > 255:
                    raise Reject("v1-invalid-ipv4")
            elif c == ord(".") and cur != "" and dots < 3:
                dots, cur = dots + 1, ""
            else:
                raise Reject("v1-invalid-ipv4")
            j += 1

    def addr6(i):
        field_start(i)
        j, seen_colon = i, False
        while True:
            c = at(j)
            if c in (SP, CR, LF):
                text = buf[i:j].decode()
                if c in (CR, LF):
                    raise Reject("v1-missing-field" if v6_valid(text) else OPEN)
                if not v6_valid(text):
                    raise Reject("v1-invalid-ipv6")
                return text, j + 1
            if c == ord(":"):
                seen_colon = True
            elif c == ord(".") and not seen_colon:
                raise Reject("v1-family-mismatch")
            elif not (chr(c) in "0123456789abcdefABCDEF."):
                raise Reject("v1-invalid-ipv6")
            j += 1

    def port(i, last):
        field_start(i)
        digits, j = "", i
        while True:
            c = at(j)
            if 0x30 <= c <= 0x39:
                if digits == "0":
                    raise Reject("v1-invalid-port")
                digits += chr(c)
                if len(digits) > 5 or int(digits) > 65535:
                    raise Reject("v1-invalid-port")
            elif digits == "":
                raise Reject("v1-invalid-port")
            elif last:
                if c != CR:
                    raise Reject("v1-expected-crlf")
                return int(digits), j + 1
            elif c == SP:
                return int(digits), j + 1
            else:
                raise Reject(OPEN)
            j += 1

    addr = addr4 if fam == ord("4") else addr6
    src, i = addr(11)
    dst, i = addr(i)
    sp, i = port(i, False)
    dp, i = port(i, True)
    if at(i) != LF:
        raise Reject("v1-expected-crlf")
    if fam == ord("4"):
        return hdr_expect(1, "proxy", "tcp4", sock4(src, sp), sock4(dst, dp), [], i + 1)
    return hdr_expect(1, "proxy", "tcp6", sock6(src, sp), sock6(dst, dp), [], i + 1)


TRANSPORTS = {(1, 1): "tcp4", (1, 2): "udp4", (2, 1): "tcp6", (2, 2): "udp6",
              (3, 1): "unix-stream", (3, 2): "unix-dgram"}
BLOCK = {0: 0, 1: 12, 2: 36, 3: 216}
def split_tlvs(region, truncated, trailing):
    out, i = [], 0
    while i < len(region):
        if len(region) - i < 3:
            raise Reject(trailing)
        t = region[i]
        n = struct.unpack(">H", region[i + 1:i + 3])[0]
        if i + 3 + n > len(region):
            raise Reject(truncated)
        yield t, region[i + 3:i + 3 + n], i + 3
        i += 3 + n
    return out


def model_v2(buf):
    for i, c in enumerate(SIG):
        if i >= len(buf):
            raise Incomplete
        if buf[i] != c:
            raise Reject("not_proxy")
    if len(buf) < 13:
        raise Incomplete
    if buf[12] >> 4 != 2:
        raise Reject("v2-unsupported-version")
    cmd = buf[12] & 0xF
    if cmd not in (0, 1):
        raise Reject("v2-unknown-command")
    if len(buf) < 14:
        raise Incomplete
    fam, proto = buf[13] >> 4, buf[13] & 0xF
    if cmd == 1:
        if fam > 3:
            raise Reject("v2-unknown-family")
        if proto > 2:
            raise Reject("v2-unknown-protocol")
        # §2.2: only 0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32 are listed.
        if (fam == 0) != (proto == 0):
            raise Reject("v2-unlisted-address-type")
    if len(buf) < 16:
        raise Incomplete
    length = struct.unpack(">H", buf[14:16])[0]
    if cmd == 1 and length < BLOCK[fam]:
        raise Reject("v2-address-block-too-short")
    if len(buf) < 16 + length:
        raise Incomplete
    header = buf[:16 + length]
    body = header[16:]
    if cmd == 0:
        # §2.2: LOCAL discards the protocol block, family included, and is
        # never refused for its body: TLVs after a whole known block when
        # they are a valid list (with a matching CRC32C), else none.
        tlvs = []
        if fam <= 3 and len(body) >= BLOCK[fam]:
            try:
                tlvs = model_tlvs(header, 16 + BLOCK[fam])
            except Reject:
                tlvs = []
        return hdr_expect(2, "local", "unspec", None, None, tlvs, 16 + length)
    block = body[:BLOCK[fam]]
    tlvs = model_tlvs(header, 16 + BLOCK[fam])
    src = dst = None
    transport = TRANSPORTS.get((fam, proto), "unspec")
    if fam == 1:
        a, b, p, q = struct.unpack(">4s4sHH", block)
        src, dst = sock4(a, p), sock4(b, q)
    elif fam == 2:
        a, b, p, q = struct.unpack(">16s16sHH", block)
        src, dst = sock6(a, p), sock6(b, q)
    elif fam == 3:
        src, dst = unix_text(block[:108]), unix_text(block[108:])
    return hdr_expect(2, "proxy", transport, src, dst, tlvs, 16 + length)


def model_tlvs(header, start):
    """The TLVs of `header` from `start` on: framing and length rules
    (§2.2.3 - §2.2.6), then the CRC32C. Text is never checked."""
    tlvs, crc_at = [], None
    for t, v, off in split_tlvs(header[start:], "v2-tlv-truncated", "v2-tlv-trailing-bytes"):
        if t == 0x03:
            if len(v) != 4:
                raise Reject("v2-crc32c-length")
            crc_at = start + off
        if t == 0x05 and len(v) > 128:
            raise Reject("v2-unique-id-too-long")
        if t == 0x20:
            if len(v) < 5:
                raise Reject("v2-ssl-too-short")
            for _ in split_tlvs(v[5:], "v2-ssl-sub-tlv-framing", "v2-ssl-sub-tlv-framing"):
                pass
        tlvs.append((t, v))
    if crc_at is not None:
        zeroed = header[:crc_at] + bytes(4) + header[crc_at + 4:]
        if struct.unpack(">I", header[crc_at:crc_at + 4])[0] != crc32c(zeroed):
            raise Reject("v2-crc32c-mismatch")
    return tlvs


def model_outcome(buf):
    try:
        return model(buf)
    except Incomplete:
        return INCOMPLETE
    except Reject as r:
        return NOT_PROXY if r.code == "not_proxy" else invalid(r.code)


def agrees(stated, got):
    if stated.get("error") == "invalid" and stated["why"] not in CODES:
        return got.get("error") == "invalid"
    return stated == got


def self_check(name, data, expect):
    final = model_outcome(data)
    if not agrees(expect, final):
        sys.exit("%s: stated %s but the model says %s" % (name, expect, final))
    if expect.get("error") == "invalid" and expect["why"] not in CODES:
        return
    reached = False
    for k in range(len(data) + 1):
        got = model_outcome(data[:k])
        if reached or got == final:
            if got != final:
                sys.exit("%s: prefix %d gives %s after %s" % (name, k, got, final))
            reached = True
        elif got != INCOMPLETE:
            sys.exit("%s: prefix %d gives %s before %s" % (name, k, got, final))


# --- Vector collection.

VECS = {f: [] for f in FOLDERS}
NAMES = set()


def emit(folder, name, source, data, expect):
    assert name not in NAMES, name
    assert all(c.isdigit() or "a" <= c <= "z" or c == "-" for c in name), name
    NAMES.add(name)
    self_check(name, bytes(data), expect)
    VECS[folder].append({"name": name, "source": "gen_vectors.py: " + source,
                         "input_hex": bytes(data).hex(), "expect": expect})


# --- v1 builders.

def v1_line(proto, src=None, dst=None, sp=None, dp=None):
    if proto == "UNKNOWN" and src is None:
        return b"PROXY UNKNOWN\r\n"
    return ("PROXY %s %s %s %s %s\r\n" % (proto, src, dst, sp, dp)).encode()


def v1_ok(name, proto, src, dst, sp, dp, payload=b"", note=""):
    line = v1_line(proto, src, dst, sp, dp)
    if proto == "TCP4":
        e = hdr_expect(1, "proxy", "tcp4", sock4(src, sp), sock4(dst, dp), [], len(line))
    else:
        assert v6_valid(src) and v6_valid(dst)
        e = hdr_expect(1, "proxy", "tcp6", sock6(src, sp), sock6(dst, dp), [], len(line))
    emit("v1", name, "hand-built from §2.1" + note, line + payload, e)


def v1_unknown(name, line, payload=b"", note=""):
    e = hdr_expect(1, "proxy", "unspec", None, None, [], len(line))
    emit("v1", name, "hand-built from §2.1, UNKNOWN" + note, line + payload, e)


def v1_bad(name, text, why, note=""):
    data = text if isinstance(text, bytes) else text.encode()
    emit("v1-invalid", name, "hand-built from §2.1" + note, data, invalid(why))


# --- v2 builders.

CRC = object()  # placeholder: a CRC32C TLV whose value the builder computes


def tlv(t, v):
    return bytes([t]) + struct.pack(">H", len(v)) + v


def v2_build(cmd=1, fam=0x11, addr=b"", tlvs=(), tail=b"", length=None, vc=None):
    """Returns (header bytes, TLV list with computed CRC values)."""
    body, crc_at, resolved = bytearray(addr), [], []
    for t, v in tlvs:
        if v is CRC:
            body += bytes([t, 0, 4])
            crc_at.append((16 + len(body), len(resolved)))
            body += bytes(4)
            resolved.append([t, None])
        else:
            body += tlv(t, v)
            resolved.append([t, v])
    body += tail
    n = len(body) if length is None else length
    hdr = bytearray(SIG + bytes([0x20 | cmd if vc is None else vc, fam]) + struct.pack(">H", n))
    hdr += body
    for at, idx in crc_at:
        value = struct.pack(">I", crc32c(bytes(hdr[:16 + n])))
        hdr[at:at + 4] = value
        resolved[idx][1] = value
    return bytes(hdr), [(t, v) for t, v in resolved]


def inet(src, dst, sp, dp):
    return ipaddress.IPv4Address(src).packed + ipaddress.IPv4Address(dst).packed + struct.pack(">HH", sp, dp)


def inet6(src, dst, sp, dp):
    return ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed + struct.pack(">HH", sp, dp)


def unix(src, dst):
    def one(p):
        assert len(p) <= 108
        return p + bytes(108 - len(p))
    return one(src) + one(dst)


def v2_expect(hdr, cmd, fam, addr, tlvs):
    """The expectation from the intent: which fields the header must report."""
    f, p = fam >> 4, fam & 0xF
    consumed = 16 + struct.unpack(">H", hdr[14:16])[0]
    if cmd == 0:
        # LOCAL: no addresses; TLVs only after a whole block of a known family.
        shown = tlvs if f <= 3 and len(addr) == BLOCK[f] else []
        return hdr_expect(2, "local", "unspec", None, None, shown, consumed)
    src = dst = None
    if f == 1:
        s, d, sp, dp = struct.unpack(">4s4sHH", addr)
        src, dst = sock4(s, sp), sock4(d, dp)
    elif f == 2:
        s, d, sp, dp = struct.unpack(">16s16sHH", addr)
        src, dst = sock6(s, sp), sock6(d, dp)
    elif f == 3:
        src, dst = unix_text(addr[:108]), unix_text(addr[108:])
    return hdr_expect(2, "proxy", TRANSPORTS.get((f, p), "unspec"), src, dst, tlvs, consumed)


def v2_ok(folder, name, source, cmd=1, fam=0x11, addr=b"", tlvs=(), payload=b""):
    hdr, resolved = v2_build(cmd, fam, addr, tlvs)
    emit(folder, name, source, hdr + payload, v2_expect(hdr, cmd, fam, addr, resolved))


def v2_bad(name, source, why, payload=b"", **kw):
    hdr, _ = v2_build(**kw)
    emit("v2-invalid", name, source, hdr + payload, invalid(why))


A4 = inet("192.168.0.1", "192.168.0.11", 56324, 443)
A6 = inet6("2001:db8::1", "2001:db8::2", 40000, 443)
AU = unix(b"/var/run/client.sock", b"/var/run/haproxy.sock")


def gen_v1():
    s = "§2.1"
    v1_ok("v1-tcp4-spec-example", "TCP4", "192.168.0.1", "192.168.0.11", 56324, 443, HTTP_REQ,
          ", the example line followed by its HTTP request")
    v1_ok("v1-tcp4-no-payload", "TCP4", "10.0.0.1", "10.0.0.2", 12345, 80)
    v1_ok("v1-tcp4-longest-line", "TCP4", "255.255.255.255", "255.255.255.255", 65535, 65535,
          note=", the 56-byte maximum TCP4 line")
    v1_ok("v1-tcp4-all-zero", "TCP4", "0.0.0.0", "0.0.0.0", 0, 0, note=", single '0' parts and ports")
    v1_ok("v1-tcp4-single-digit-parts", "TCP4", "1.2.3.4", "5.6.7.8", 9, 1)
    v1_ok("v1-tcp4-part-widths", "TCP4", "100.199.250.255", "249.25.2.0", 10000, 1000,
          note=", one to three digit parts and 2-5 digit ports")
    v1_ok("v1-tcp4-tls-payload", "TCP4", "203.0.113.7", "198.51.100.1", 50000, 443, TLS_HELLO,
          note=", a TLS ClientHello start is left over")
    v1_ok("v1-tcp4-ssh-payload", "TCP4", "203.0.113.7", "198.51.100.1", 50001, 22, SSH_BANNER,
          note=", an SSH banner is left over")
    v1_ok("v1-tcp4-payload-is-another-proxy-line", "TCP4", "10.1.1.1", "10.2.2.2", 1, 2,
          b"PROXY TCP4 6.6.6.6 7.7.7.7 6 7\r\n", note=", only the first line is the header")
    v1_ok("v1-tcp4-payload-blank-lines", "TCP4", "10.1.1.1", "10.2.2.2", 3, 4, b"\r\n\r\n")
    v1_ok("v1-tcp6-loopback", "TCP6", "::1", "::1", 1234, 5678)
    v1_ok("v1-tcp6-unspecified", "TCP6", "::", "::", 0, 0)
    v1_ok("v1-tcp6-documentation", "TCP6", "2001:db8::1", "2001:db8::2", 40000, 443, HTTP_REQ)
    v1_ok("v1-tcp6-full-form-leading-zeros", "TCP6", "2001:0db8:0000:0000:0000:0000:0000:0001",
          "fe80:0000:0000:0000:0000:0000:0000:0001", 1, 2, note=", printed in RFC 5952 form")
    v1_ok("v1-tcp6-upper-case-hex", "TCP6", "2001:DB8::ABCD", "FE80::1", 3, 4, note=", upper case accepted")
    v1_ok("v1-tcp6-eight-groups", "TCP6", "1:2:3:4:5:6:7:8", "8:7:6:5:4:3:2:1", 5, 6)
    v1_ok("v1-tcp6-longest-plain-line", "TCP6", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 65535,
          note=", the 104-byte maximum TCP6 line")
    v1_ok("v1-tcp6-v4-mapped", "TCP6", "::ffff:192.0.2.1", "::ffff:198.51.100.2", 7, 8,
          note=", IPv4-mapped addresses print dotted")
    v1_ok("v1-tcp6-v4-compatible", "TCP6", "::192.0.2.1", "::1.2.3.4", 9, 10,
          note=", a trailing dotted quad after '::' (RFC 4291 §2.2)")
    v1_ok("v1-tcp6-embedded-v4-after-six-groups", "TCP6", "1:2:3:4:5:6:1.2.3.4", "64:ff9b::192.0.2.33", 11, 12)
    v1_ok("v1-tcp6-zero-run-tie", "TCP6", "1:0:0:2:0:0:3:4", "1:0:0:1:0:0:0:1", 13, 14,
          note=", RFC 5952 compresses the first of equal runs and the longest run")
    v1_ok("v1-tcp6-single-zero-group", "TCP6", "1:0:2:3:4:5:6:7", "1:2:3:4:5::6:7", 15, 16,
          note=", a lone zero group is not compressed in the output")
    v1_ok("v1-tcp6-double-colon-at-ends", "TCP6", "1::", "::2:3:4:5:6:7:8", 17, 18)
    v1_ok("v1-tcp6-double-colon-one-group", "TCP6", "1:2:3:4:5:6:7::", "::ffff:0.0.0.0", 19, 20)
    v1_ok("v1-tcp6-line-of-107-bytes", "TCP6", "0000:0000:0000:0000:0000:ffff:255.255.255.255",
          "0000:0000:0000:0000:0000:ffff:1.2.3.4", 65535, 1234, TLS_HELLO,
          note=", a valid line of exactly 107 bytes (the limit) with a TLS payload")
    v1_unknown("v1-unknown-short-form", b"PROXY UNKNOWN\r\n", note=", the 15-byte short form")
    v1_unknown("v1-unknown-short-form-tls-payload", b"PROXY UNKNOWN\r\n", TLS_HELLO)
    v1_unknown("v1-unknown-worst-case-107", b"PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
               b" ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", HTTP_REQ,
               note=", the 107-byte worst case")
    v1_unknown("v1-unknown-with-tcp4-fields", b"PROXY UNKNOWN 1.2.3.4 5.6.7.8 80 443\r\n",
               note=", fields after UNKNOWN are ignored")
    v1_unknown("v1-unknown-garbage-ignored", b"PROXY UNKNOWN 999.1.1.1 x  y z !@#\r\n",
               note=", anything before the CRLF is ignored")
    v1_unknown("v1-unknown-lone-cr-ignored", b"PROXY UNKNOWN a\rb\r\n", note=", a lone CR is not the end")
    v1_unknown("v1-unknown-cr-then-crlf", b"PROXY UNKNOWN\r\r\n", note=", CR CR LF ends at the CRLF")
    v1_unknown("v1-unknown-cr-then-junk", b"PROXY UNKNOWN\rjunk\r\n",
               note=", a lone CR right after UNKNOWN is ignored like any other")
    v1_unknown("v1-unknown-lone-lf-ignored", b"PROXY UNKNOWN a\nb\r\n", SSH_BANNER)
    v1_unknown("v1-unknown-binary-bytes", b"PROXY UNKNOWN \x00\x01\x80\xff\xfe\r\n",
               note=", non-ASCII bytes before the CRLF are ignored")
    v1_unknown("v1-unknown-crlf-ending-at-107", b"PROXY UNKNOWN " + b"x" * 91 + b"\r\n",
               note=", CRLF as bytes 106-107 is within the limit")
    v1_unknown("v1-unknown-space-only", b"PROXY UNKNOWN \r\n", b"\x16\x03\x01")
    del s


def gen_v1_invalid():
    good_tail = " 5.6.7.8 80 443\r\n"
    up = "v1-unknown-protocol"
    v1_bad("v1-proto-tcp5", "PROXY TCP5 1.2.3.4" + good_tail, up)
    v1_bad("v1-proto-tcp44", "PROXY TCP44 1.2.3.4" + good_tail, up)
    v1_bad("v1-proto-udp4", "PROXY UDP4 1.2.3.4" + good_tail, up)
    v1_bad("v1-proto-lower-case", "PROXY tcp4 1.2.3.4" + good_tail, up)
    v1_bad("v1-proto-after-two-spaces", "PROXY  TCP4 1.2.3.4" + good_tail, up,
           ", the protocol word is not a field, so a second space is a wrong protocol byte")
    v1_bad("v1-proto-tcp-then-crlf", "PROXY TCP\r\n", up)
    v1_bad("v1-proto-tab-separator", "PROXY TCP4\t1.2.3.4" + good_tail, up)
    v1_bad("v1-proto-unknown-suffix", "PROXY UNKNOWNX\r\n", up)
    v1_bad("v1-proto-unknown-then-lf", "PROXY UNKNOWN\n\r\n", "v1-expected-crlf",
           ", a lone LF where the line could end")
    v1_bad("v1-proto-unknown-lower-case-tail", "PROXY UNKNOWn\r\n", up)
    v1_bad("v1-proto-unknown-tab", "PROXY UNKNOWN\t1\r\n", up)
    v1_bad("v1-proto-empty-then-crlf", "PROXY \r\n", up)
    v1_bad("v1-proto-tcp6-with-letter", "PROXY TCP6X ::1 ::1 1 2\r\n", up)

    mf = "v1-missing-field"
    v1_bad("v1-tcp4-then-crlf", "PROXY TCP4\r\n", mf)
    v1_bad("v1-tcp6-then-crlf", "PROXY TCP6\r\n", mf)
    v1_bad("v1-tcp4-space-then-crlf", "PROXY TCP4 \r\n", mf)
    v1_bad("v1-tcp4-space-then-lf", "PROXY TCP4 \n", mf)
    v1_bad("v1-tcp4-src-only", "PROXY TCP4 1.2.3.4\r\n", mf)
    v1_bad("v1-tcp4-src-space-crlf", "PROXY TCP4 1.2.3.4 \r\n", mf)
    v1_bad("v1-tcp4-no-ports", "PROXY TCP4 1.2.3.4 5.6.7.8\r\n", mf)
    v1_bad("v1-tcp4-no-ports-space", "PROXY TCP4 1.2.3.4 5.6.7.8 \r\n", mf)
    v1_bad("v1-tcp4-no-dst-port", "PROXY TCP4 1.2.3.4 5.6.7.8 80 \r\n", mf)
    v1_bad("v1-tcp4-lf-at-dst-port", "PROXY TCP4 1.2.3.4 5.6.7.8 80 \n", mf)
    v1_bad("v1-tcp6-no-ports", "PROXY TCP6 ::1 ::1\r\n", mf)
    v1_bad("v1-tcp6-src-only", "PROXY TCP6 2001:db8::1\r\n", mf)
    # A lone LF ends the line as early as a CR would: fields are missing.
    v1_bad("v1-ipv4-lf-terminator", "PROXY TCP4 1.2.3.4\n 5.6.7.8 80 443\r\n", mf)
    v1_bad("v1-ipv6-lf-terminator", "PROXY TCP6 ::1\n ::1 80 443\r\n", mf)

    es = "v1-extra-space"
    v1_bad("v1-tcp4-space-before-src", "PROXY TCP4  1.2.3.4" + good_tail, es)
    v1_bad("v1-tcp4-space-before-dst", "PROXY TCP4 1.2.3.4  5.6.7.8 80 443\r\n", es)
    v1_bad("v1-tcp4-space-before-src-port", "PROXY TCP4 1.2.3.4 5.6.7.8  80 443\r\n", es)
    v1_bad("v1-tcp4-space-before-dst-port", "PROXY TCP4 1.2.3.4 5.6.7.8 80  443\r\n", es)
    v1_bad("v1-tcp6-space-before-dst", "PROXY TCP6 ::1  ::1 80 443\r\n", es)

    i4 = "v1-invalid-ipv4"
    for name, addr in [
        ("v1-ipv4-part-256", "256.0.0.1"), ("v1-ipv4-last-part-256", "1.2.3.256"),
        ("v1-ipv4-part-300", "300.1.1.1"), ("v1-ipv4-four-digit-part", "2555.1.1.1"),
        ("v1-ipv4-three-parts", "1.2.3"), ("v1-ipv4-five-parts", "1.2.3.4.5"),
        ("v1-ipv4-leading-zero", "01.2.3.4"), ("v1-ipv4-double-zero", "1.2.3.00"),
        ("v1-ipv4-empty-part", "1..2.3"), ("v1-ipv4-leading-dot", ".1.2.3"),
        ("v1-ipv4-trailing-dot", "1.2.3."), ("v1-ipv4-letters", "a.b.c.d"),
        ("v1-ipv4-negative-part", "1.2.3.-4"), ("v1-ipv4-sign", "+1.2.3.4"),
        ("v1-ipv4-cidr-suffix", "1.2.3.4/24"), ("v1-ipv4-hex-part", "0x7f.0.0.1"),
        ("v1-ipv4-trailing-letter", "1.2.3.4x"), ("v1-ipv4-tab-terminator", "1.2.3.4\t"),
    ]:
        v1_bad(name, "PROXY TCP4 " + addr + good_tail, i4)
    v1_bad("v1-ipv4-bad-dst", "PROXY TCP4 1.2.3.4 5.6.7.256 80 443\r\n", i4)
    v1_bad("v1-ipv4-dst-leading-zero", "PROXY TCP4 1.2.3.4 05.6.7.8 80 443\r\n", i4)

    fm = "v1-family-mismatch"
    v1_bad("v1-tcp4-with-ipv6-loopback", "PROXY TCP4 ::1 ::1 80 443\r\n", fm)
    v1_bad("v1-tcp4-with-digit-ipv6", "PROXY TCP4 1:2::3 1.2.3.4 80 443\r\n", fm)
    v1_bad("v1-tcp4-address-with-port", "PROXY TCP4 1.2.3.4:80 5.6.7.8 80 443\r\n", fm,
           ", ':' anywhere in a TCP4 address")
    v1_bad("v1-tcp4-dst-ipv6", "PROXY TCP4 1.2.3.4 ::ffff:1.2.3.4 80 443\r\n", fm)
    v1_bad("v1-tcp6-with-ipv4", "PROXY TCP6 1.2.3.4 5.6.7.8 80 443\r\n", fm)
    v1_bad("v1-tcp6-dst-ipv4", "PROXY TCP6 ::1 10.0.0.1 80 443\r\n", fm)
    v1_bad("v1-tcp6-short-dotted", "PROXY TCP6 12.34 ::1 80 443\r\n", fm)

    i6 = "v1-invalid-ipv6"
    for name, addr in [
        ("v1-ipv6-zone", "fe80::1%eth0"), ("v1-ipv6-nine-groups", "1:2:3:4:5:6:7:8:9"),
        ("v1-ipv6-seven-groups", "1:2:3:4:5:6:7"), ("v1-ipv6-five-digit-group", "12345::1"),
        ("v1-ipv6-five-digit-zero-group", "00001::1"), ("v1-ipv6-two-double-colons", "1::2::3"),
        ("v1-ipv6-leading-single-colon", ":1"), ("v1-ipv6-trailing-single-colon", "1:"),
        ("v1-ipv6-triple-colon", ":::"), ("v1-ipv6-non-hex", "g::1"), ("v1-ipv6-brackets", "[::1]"),
        ("v1-ipv6-short-dotted-tail", "::ffff:1.2.3"), ("v1-ipv6-five-part-dotted-tail", "::1.2.3.4.5"),
        ("v1-ipv6-dotted-leading-zero", "::ffff:01.2.3.4"), ("v1-ipv6-dotted-part-256", "::ffff:256.1.1.1"),
        ("v1-ipv6-dotted-after-seven-groups", "1:2:3:4:5:6:7:1.2.3.4"),
        ("v1-ipv6-tab-terminator", "::1\t"),
    ]:
        v1_bad(name, "PROXY TCP6 " + addr + " ::1 80 443\r\n", i6)
    v1_bad("v1-ipv6-bad-dst", "PROXY TCP6 ::1 fe80::1%1 80 443\r\n", i6)

    ip = "v1-invalid-port"
    for name, sp, dp in [
        ("v1-port-65536", "65536", "443"), ("v1-port-99999", "99999", "443"),
        ("v1-port-six-digits", "100000", "443"), ("v1-port-leading-zero", "080", "443"),
        ("v1-port-double-zero", "00", "443"), ("v1-port-minus", "-1", "443"),
        ("v1-port-plus", "+80", "443"), ("v1-port-letter", "http", "443"),
        ("v1-dst-port-65536", "80", "65536"), ("v1-dst-port-leading-zero", "80", "0443"),
        ("v1-dst-port-minus", "80", "-443"), ("v1-dst-port-six-digits", "80", "4430000"),
    ]:
        v1_bad(name, "PROXY TCP4 1.2.3.4 5.6.7.8 %s %s\r\n" % (sp, dp), ip)

    ec = "v1-expected-crlf"
    for name, tail in [
        ("v1-crlf-space-before", " \r\n"), ("v1-crlf-lf-only", "\n"), ("v1-crlf-cr-then-x", "\rX"),
        ("v1-crlf-cr-cr-lf", "\r\r\n"), ("v1-crlf-tab-before", "\t\r\n"),
        ("v1-crlf-letter-after-port", "x\r\n"), ("v1-crlf-extra-field", " 8080\r\n"),
    ]:
        v1_bad(name, "PROXY TCP4 1.2.3.4 5.6.7.8 80 443" + tail, ec)
    v1_bad("v1-crlf-tcp6-lf-only", "PROXY TCP6 ::1 ::2 80 443\nGET / HTTP/1.1\r\n", ec)

    tl = "v1-line-too-long"
    v1_bad("v1-too-long-unknown-no-crlf", b"PROXY UNKNOWN " + b"a" * 200, tl,
           ", no CRLF in the first 107 bytes")
    v1_bad("v1-too-long-crlf-straddles-limit", b"PROXY UNKNOWN " + b" " * 92 + b"\r\n", tl,
           ", CR is byte 107 and LF byte 108")
    v1_bad("v1-too-long-unknown-crlf-at-109", b"PROXY UNKNOWN " + b"b" * 93 + b"\r\n" + HTTP_REQ, tl)
    v1_bad("v1-too-long-tcp6-108-bytes", "PROXY TCP6 0000:0000:0000:0000:0000:ffff:255.255.255.255 "
           "0000:0000:0000:0000:0000:ffff:1.2.3.4 65535 12345\r\n", tl,
           ", an otherwise valid line one byte over the limit")
    v1_bad("v1-too-long-unknown-lone-crs", b"PROXY UNKNOWN" + b"\r" * 120, tl)

    # The rules leave the reported rule open here; any rejection matches.
    v1_bad("v1-open-lf-after-protocol", "PROXY TCP4\n", "LF right after TCP4: rejected, rule open")
    v1_bad("v1-open-cr-in-partial-address", "PROXY TCP4 1.2\r\n", "CR inside a partial IPv4 address")
    v1_bad("v1-open-cr-after-src-port", "PROXY TCP4 1.2.3.4 5.6.7.8 80\r\n", "CR after the source port")
    v1_bad("v1-open-letter-in-src-port", "PROXY TCP4 1.2.3.4 5.6.7.8 80x 443\r\n", "letter after the source port digits")
    v1_bad("v1-open-hex-ipv6-after-tcp4", "PROXY TCP4 fe80::1 fe80::2 80 443\r\n",
           "an IPv6 address starting with a hex letter after TCP4")
    v1_bad("v1-open-tcp6-missing-dst-port", "PROXY TCP6 ::1 ::1 80\r\n", "CR after the source port")


def gen_v2():
    s = "hand-built from §2.2"
    f = "v2"
    v2_ok(f, "v2-tcp4-tls-payload", s + ", TCP over IPv4 (0x11) then a TLS ClientHello",
          fam=0x11, addr=A4, payload=TLS_HELLO)
    v2_ok(f, "v2-tcp4-no-payload", s, fam=0x11, addr=inet("10.0.0.1", "10.0.0.2", 12345, 80))
    v2_ok(f, "v2-tcp4-all-zero", s, fam=0x11, addr=inet("0.0.0.0", "0.0.0.0", 0, 0))
    v2_ok(f, "v2-tcp4-all-ones", s, fam=0x11, addr=inet("255.255.255.255", "255.255.255.255", 65535, 65535))
    v2_ok(f, "v2-udp4", s + ", UDP over IPv4 (0x12)", fam=0x12, addr=inet("198.51.100.7", "203.0.113.9", 53, 5353))
    v2_ok(f, "v2-tcp6", s + ", TCP over IPv6 (0x21)", fam=0x21, addr=A6, payload=HTTP_REQ)
    v2_ok(f, "v2-udp6", s + ", UDP over IPv6 (0x22)", fam=0x22, addr=inet6("fe80::1", "ff02::fb", 5353, 5353))
    v2_ok(f, "v2-tcp6-v4-mapped", s, fam=0x21, addr=inet6("::ffff:192.0.2.1", "::ffff:10.0.0.1", 1, 2))
    v2_ok(f, "v2-tcp6-all-ones", s, fam=0x21,
          addr=inet6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::", 65535, 0))
    v2_ok(f, "v2-unix-stream", s + ", UNIX stream (0x31)", fam=0x31, addr=AU, payload=SSH_BANNER)
    v2_ok(f, "v2-unix-dgram", s + ", UNIX datagram (0x32)", fam=0x32, addr=unix(b"/tmp/a", b"/tmp/b"))
    v2_ok(f, "v2-unix-abstract-empty-path", s + ", a path starting with NUL is empty",
          fam=0x31, addr=unix(b"\0abstract", b"/run/x"))
    v2_ok(f, "v2-unix-108-bytes-no-nul", s + ", a path filling all 108 bytes",
          fam=0x31, addr=b"/" + b"p" * 107 + b"/" + b"q" * 107)
    v2_ok(f, "v2-unix-bytes-after-nul-ignored", s + ", a path ends at its first NUL",
          fam=0x32, addr=(b"/a\0junk" + b"\xee" * 101) + (b"/b\0" + b"\x01" * 105))
    v2_ok(f, "v2-unix-non-utf8-path", s + ", path bytes reported lossily",
          fam=0x31, addr=unix(b"/tmp/\xff.sock", b"/tmp/ok"))
    v2_ok(f, "v2-proxy-unspec", s + ", PROXY with UNSPEC family and protocol (0x00)", fam=0x00)
    v2_ok(f, "v2-proxy-unspec-tlvs", s + ", PROXY UNSPEC (0x00): TLVs right after the prefix",
          fam=0x00, tlvs=[(0x05, b"id-1"), (0x03, CRC)], payload=HTTP_REQ)
    v2_ok(f, "v2-local-unspec", s + ", LOCAL (0x20) with UNSPEC and no addresses",
          cmd=0, fam=0x00, payload=TLS_HELLO)
    v2_ok(f, "v2-local-inet-block-skipped", s + ", LOCAL with an INET block: addresses and"
          " transport discarded", cmd=0, fam=0x11, addr=A4)
    v2_ok(f, "v2-local-inet-block-then-tlvs-and-crc", s + ", LOCAL skips its INET block, then"
          " exposes a valid TLV list with its CRC32C", cmd=0, fam=0x11, addr=A4,
          tlvs=[(0x05, b"lb-check"), (0x03, CRC)])
    v2_ok(f, "v2-local-unlisted-address-types", s + ", LOCAL accepts 0x01 (unlisted under PROXY)",
          cmd=0, fam=0x01, tlvs=[(0x05, b"x")])
    v2_ok(f, "v2-local-inet-short-block", s + ", LOCAL skips min(length, block) bytes",
          cmd=0, fam=0x11, addr=b"\x01\x02\x03\x04\x05")
    v2_ok(f, "v2-local-inet6-block-then-tlv", s + ", LOCAL skips the INET6 block then reads TLVs",
          cmd=0, fam=0x21, addr=A6, tlvs=[(0x04, b"\0\0\0\0")])
    v2_ok(f, "v2-local-unix-block", s, cmd=0, fam=0x32, addr=AU)
    v2_ok(f, "v2-local-unknown-family", s + ", LOCAL ignores an unknown family (0x41)", cmd=0, fam=0x41)
    v2_ok(f, "v2-local-unknown-family-tlvs", s + ", LOCAL with family 0x5: the block size is"
          " unknown, so no TLVs are exposed", cmd=0, fam=0x51,
          tlvs=[(0x01, b"h2"), (0x02, b"example.com")])
    v2_ok(f, "v2-local-family-and-protocol-ff", s + ", LOCAL ignores 0xff", cmd=0, fam=0xFF)
    v2_ok(f, "v2-local-unknown-protocol", s + ", LOCAL ignores an unknown protocol (0x15)", cmd=0, fam=0x15)
    for name, note, fam, body in [
        ("v2-local-opaque-truncated-tlv", "a TLV running past the end", 0x00, b"\x05\x00\x09x"),
        ("v2-local-opaque-trailing-bytes", "two stray bytes after the INET block", 0x11,
         A4 + b"\x03\x00"),
        ("v2-local-opaque-unique-id-too-long", "a 200-byte UNIQUE_ID", 0x00,
         tlv(0x05, bytes(200))),
        ("v2-local-opaque-ssl-too-short", "a 1-byte SSL TLV", 0x00, tlv(0x20, b"\x01")),
    ]:
        hdr, _ = v2_build(cmd=0, fam=fam, tail=body)
        emit(f, name, s + ", LOCAL is never refused for its body (" + note + "): accepted"
             " with no TLVs", hdr + TLS_HELLO, hdr_expect(2, "local", "unspec", None, None, [],
                                                          len(hdr)))
    h3, _ = v2_build(cmd=0, fam=0x11, addr=A4, tlvs=[(0x03, CRC)])
    h3 = bytearray(h3)
    h3[20] ^= 0xFF
    emit(f, "v2-local-crc32c-mismatch-hides-tlvs", s + " and §2.2.3, the CRC also covers the"
         " discarded LOCAL block; a mismatch hides the TLVs, never refuses LOCAL", h3,
         hdr_expect(2, "local", "unspec", None, None, [], len(h3)))
    v2_ok(f, "v2-payload-is-another-header", s + ", a second v2 header stays in the leftover",
          fam=0x11, addr=A4, payload=v2_build(fam=0x11, addr=inet("6.6.6.6", "7.7.7.7", 6, 7))[0])
    v2_ok(f, "v2-payload-looks-like-tlvs", s + ", bytes after the declared length are not TLVs",
          fam=0x11, addr=A4, payload=b"\x02\x00\x01\xff\x03\x00\x00")
    v2_ok(f, "v2-tcp4-ssh-payload", s, fam=0x11, addr=inet("127.0.0.1", "127.0.0.1", 40022, 22),
          payload=SSH_BANNER)


def gen_v2_tlv():
    f = "v2-tlv"

    def ok(name, sec, tlvs, cmd=1, fam=0x11, addr=A4, payload=b""):
        v2_ok(f, name, "hand-built from §2.2 and " + sec, cmd=cmd, fam=fam, addr=addr,
              tlvs=tlvs, payload=payload)

    ok("tlv-alpn-h2", "§2.2.1", [(0x01, b"h2")], payload=TLS_HELLO)
    ok("tlv-alpn-empty", "§2.2.1", [(0x01, b"")])
    ok("tlv-alpn-raw-bytes", "§2.2.1, ALPN is raw bytes", [(0x01, b"\xff\xfe\x00h2")])
    ok("tlv-authority-ascii", "§2.2.2", [(0x02, b"example.com")])
    ok("tlv-authority-utf8", "§2.2.2, multi-byte UTF-8", [(0x02, "bücher.例え.jp".encode())])
    ok("tlv-authority-empty", "§2.2.2", [(0x02, b"")])
    ok("tlv-crc32c-tcp4", "§2.2.3, computed CRC32C", [(0x03, CRC)], payload=HTTP_REQ)
    ok("tlv-crc32c-tcp6", "§2.2.3", [(0x01, b"h2"), (0x03, CRC)], fam=0x21, addr=A6)
    ok("tlv-crc32c-first-of-many", "§2.2.3", [(0x03, CRC), (0x02, b"example.com"), (0x05, b"id-1")])
    ok("tlv-crc32c-local", "§2.2.3, LOCAL", [(0x03, CRC)], cmd=0, fam=0x00, addr=b"")
    ok("tlv-crc32c-unix", "§2.2.3", [(0x03, CRC)], fam=0x31, addr=AU)
    ok("tlv-noop-empty", "§2.2.4", [(0x04, b"")])
    ok("tlv-noop-padding", "§2.2.4, 3 bytes of padding", [(0x04, b"\0\0\0"), (0x01, b"h2")])
    ok("tlv-noop-large", "§2.2.4, a 1500-byte NOOP and a CRC32C",
       [(0x04, bytes(i & 0xFF for i in range(1500))), (0x03, CRC)])
    ok("tlv-unique-id-empty", "§2.2.5", [(0x05, b"")])
    ok("tlv-unique-id-one-byte", "§2.2.5", [(0x05, b"\x00")])
    ok("tlv-unique-id-128", "§2.2.5, the 128-byte maximum", [(0x05, bytes(range(128)))])
    ok("tlv-unique-id-binary", "§2.2.5, opaque bytes", [(0x05, b"\xff\x00\xfe\x01")])

    def ssl(client, verify, subs=(), tail=b""):
        return bytes([client]) + struct.pack(">I", verify) + b"".join(tlv(t, v) for t, v in subs) + tail

    ok("tlv-ssl-minimal", "§2.2.6, client and verify only", [(0x20, ssl(0, 0))])
    ok("tlv-ssl-full", "§2.2.6, version, CN, cipher, sig and key algorithms",
       [(0x20, ssl(0x07, 0, [(0x21, b"TLSv1.3"), (0x22, b"client.example"),
                              (0x23, b"TLS_AES_128_GCM_SHA256"), (0x24, b"RSA-SHA256"),
                              (0x25, b"RSA2048")]))], payload=TLS_HELLO)
    ok("tlv-ssl-group-and-sig-scheme", "§2.2.6, GROUP 0x26 and SIG_SCHEME 0x27",
       [(0x20, ssl(0x01, 0, [(0x21, b"TLSv1.3"), (0x26, b"X25519"), (0x27, b"rsa_pss_rsae_sha256")]))])
    ok("tlv-ssl-client-cert-der", "§2.2.6, CLIENT_CERT 0x28 is raw DER",
       [(0x20, ssl(0x03, 0, [(0x28, bytes.fromhex("308201a2a003020102020900ff80fe"))]))])
    ok("tlv-ssl-unknown-sub-tlv", "§2.2.6, an unknown sub-TLV is kept raw",
       [(0x20, ssl(0x01, 0, [(0x99, b"\xff\xfe"), (0x21, b"TLSv1.2")]))])
    ok("tlv-ssl-empty-sub-values", "§2.2.6", [(0x20, ssl(0x01, 0, [(0x21, b""), (0x22, b"")]))])
    ok("tlv-ssl-verify-failed", "§2.2.6, non-zero verify", [(0x20, ssl(0x05, 0x12345678, [(0x22, b"cn")]))])
    ok("tlv-ssl-utf8-cn", "§2.2.6, multi-byte CN", [(0x20, ssl(0x03, 0, [(0x22, "Jürgen Ω".encode())]))])
    ok("tlv-netns", "§2.2.7", [(0x30, b"blue")])
    ok("tlv-netns-empty", "§2.2.7", [(0x30, b"")])
    ok("tlv-netns-utf8", "§2.2.7", [(0x30, "réseau".encode())])
    ok("tlv-aws-vpce-id", "§2.2.8 custom range, AWS 0xEA subtype 0x01",
       [(0xEA, b"\x01vpce-08d2bf15fac5001c9")])
    ok("tlv-azure-link-id", "§2.2.8 custom range, Azure 0xEE subtype 0x01",
       [(0xEE, b"\x01" + struct.pack("<I", 0x01020304))])
    ok("tlv-gcp-psc-id", "§2.2.8 custom range, GCP 0xE0 8-byte u64",
       [(0xE0, struct.pack(">Q", 0x1122334455667788))])
    ok("tlv-custom-range-bounds", "§2.2.8, 0xE1 and 0xEF raw", [(0xE1, b"\xff"), (0xEF, b"")])
    ok("tlv-unknown-types", "§2.2, unknown types are carried raw",
       [(0x00, b"\xff"), (0x06, b"x"), (0x10, b""), (0x31, b"\xfe"), (0x7F, b"y"), (0x80, b"\xc0"),
        (0xF0, b"z"), (0xFF, b"\xff\xff")])
    ok("tlv-ssl-subtype-at-top-level", "§2.2, 0x21 outside SSL is an unknown raw type",
       [(0x21, b"\xff"), (0x28, b"\xfe")])
    ok("tlv-duplicates-kept", "§2.2, repeated types are all kept in order",
       [(0x01, b"h2"), (0x01, b"http/1.1"), (0x04, b""), (0x04, b"")])
    ok("tlv-every-type", "§2.2.1-§2.2.8, one of each type",
       [(0x01, b"h2"), (0x02, b"example.com"), (0x03, CRC), (0x04, b"\0"), (0x05, b"u-1"),
        (0x20, ssl(0x01, 0, [(0x21, b"TLSv1.3")])), (0x30, b"ns"), (0xEA, b"\x01vpce-1"),
        (0xEE, b"\x01\0\0\0\x01"), (0xE0, bytes(8)), (0x42, b"?")])
    ok("tlv-local-with-tlvs", "§2.2, LOCAL still carries TLVs", [(0x05, b"lb-check"), (0x04, b"")],
       cmd=0, fam=0x00, addr=b"")
    ok("tlv-unix-with-tlvs", "§2.2", [(0x02, b"unix.example")], fam=0x32, addr=AU)
    ok("tlv-zero-length-last", "§2.2, a final TLV with an empty value", [(0x02, b"a"), (0x7E, b"")])
    ok("tlv-noop-hides-bad-utf8", "§2.2.4, NOOP content is never inspected", [(0x04, b"\xff\xc0\x80")])
    # Text is checked when read, never by the parser: senders copy bytes as
    # they have them (HAProxy copies a BMPString CN as UTF-16).
    for name, v in [("invalid-byte", b"\xff"), ("overlong-nul", b"a\xc0\x80"),
                    ("surrogate", b"\xed\xa0\x80"), ("truncated-sequence", b"ex\xe2\x82"),
                    ("latin1", b"caf\xe9.example")]:
        ok("tlv-authority-not-utf8-" + name, "§2.2.2, not UTF-8: carried raw", [(0x02, v)])
    for t, label in [(0x21, "version"), (0x22, "cn"), (0x23, "cipher"), (0x24, "sig-alg"),
                     (0x25, "key-alg"), (0x26, "group"), (0x27, "sig-scheme")]:
        ok("tlv-ssl-%s-not-utf8" % label, "§2.2.6, text sub-TLV 0x%02x not UTF-8: carried raw" % t,
           [(0x20, ssl(0x01, 0, [(t, b"ok\xff")]))])
    ok("tlv-ssl-cn-bmpstring", "§2.2.6, a BMPString CN copied as UTF-16BE, as HAProxy does",
       [(0x20, ssl(0x03, 0, [(0x22, "Jürgen".encode("utf-16-be"))]))])
    ok("tlv-netns-not-utf8", "§2.2.7, not UTF-8: carried raw", [(0x30, b"ns\xff")])


def gen_v2_invalid():
    s = "hand-built from §2.2"

    def bad(name, why, note="", **kw):
        v2_bad(name, s + note, why, **kw)

    for vc in (0x11, 0x01, 0x31, 0xF1, 0x10):
        bad("v2-version-byte-%02x" % vc, "v2-unsupported-version", ", version nibble is not 2",
            vc=vc, fam=0x11, addr=A4)
    bad("v2-version-before-command", "v2-unsupported-version", ", version 1 with command 3",
        vc=0x13, fam=0x11, addr=A4)
    for vc in (0x22, 0x23, 0x2F):
        bad("v2-command-byte-%02x" % vc, "v2-unknown-command", vc=vc, fam=0x11, addr=A4)
    bad("v2-command-before-family", "v2-unknown-command", vc=0x2A, fam=0xFF)
    for fam in (0x41, 0x51, 0xF1):
        bad("v2-proxy-family-%02x" % fam, "v2-unknown-family", fam=fam, addr=A4)
    bad("v2-family-before-protocol", "v2-unknown-family", ", both nibbles unknown (0x43)",
        fam=0x43, addr=A4)
    for fam in (0x13, 0x1F, 0x03, 0x33):
        bad("v2-proxy-protocol-%02x" % fam, "v2-unknown-protocol", fam=fam, addr=A4)
    for fam in (0x01, 0x02, 0x10, 0x20, 0x30):
        bad("v2-proxy-unlisted-%02x" % fam, "v2-unlisted-address-type", ", §2.2 lists only 0x00,"
            " 0x11, 0x12, 0x21, 0x22, 0x31 and 0x32 under PROXY", fam=fam, addr=A4[:BLOCK[fam >> 4]],
            payload=HTTP_REQ)
    for fam, n in [(0x11, 0), (0x11, 11), (0x12, 11), (0x21, 35), (0x22, 12), (0x31, 215),
                   (0x32, 0)]:
        bad("v2-block-too-short-%02x-len-%d" % (fam, n), "v2-address-block-too-short",
            ", the length is below the family's block", fam=fam, addr=bytes(n), payload=TLS_HELLO)

    def tbad(name, why, note, tlvs=(), tail=b"", cmd=1, fam=0x11, addr=A4):
        v2_bad(name, "hand-built from §2.2 and " + note, why, cmd=cmd, fam=fam, addr=addr,
               tlvs=tlvs, tail=tail)

    tr = "v2-tlv-truncated"
    tbad("tlv-truncated-by-one", tr, "§2.2, a value one byte short", tail=b"\x02\x00\x05abcd")
    tbad("tlv-truncated-max-length", tr, "§2.2, length 0xffff", tail=b"\x04\xff\xff\x00")
    tbad("tlv-truncated-empty-value", tr, "§2.2, a bare TLV header claiming 1 byte", tail=b"\x01\x00\x01")
    tbad("tlv-truncated-after-valid", tr, "§2.2", [(0x01, b"h2")], tail=b"\x02\x00\x10short")
    tbad("tlv-truncated-ssl", tr, "§2.2.6, the SSL TLV itself overruns", tail=b"\x20\x00\x20\x01\0\0\0\0")
    tt = "v2-tlv-trailing-bytes"
    tbad("tlv-trailing-one-byte", tt, "§2.2", tail=b"\x04")
    tbad("tlv-trailing-two-bytes", tt, "§2.2", tail=b"\x04\x00")
    tbad("tlv-trailing-after-valid", tt, "§2.2", [(0x01, b"h2")], tail=b"\x00\x00")
    tbad("tlv-trailing-unspec-one-byte", tt, "§2.2, UNSPEC has no block so the byte is a TLV",
         tail=b"\x00", fam=0x00, addr=b"")
    for n in (0, 3, 5, 8):
        tbad("tlv-crc32c-length-%d" % n, "v2-crc32c-length", "§2.2.3, value is not 4 bytes",
             [(0x03, bytes(n))])

    mm = "v2-crc32c-mismatch"
    ui = "v2-unique-id-too-long"
    hdr, _ = v2_build(fam=0x11, addr=A4, tlvs=[(0x03, CRC)])
    good = hdr[-4:]
    tbad("tlv-crc32c-wrong-value", mm, "§2.2.3", [(0x03, b"\xde\xad\xbe\xef")])
    tbad("tlv-crc32c-zero", mm, "§2.2.3, an unfilled checksum", [(0x03, bytes(4))])
    tbad("tlv-crc32c-little-endian", mm, "§2.2.3, the right CRC stored little-endian",
         [(0x03, good[::-1])])
    assert good != good[::-1]
    flipped = bytearray(hdr)
    flipped[16] ^= 0x01
    emit("v2-invalid", "tlv-crc32c-address-bit-flipped", "hand-built from §2.2.3, one address bit"
         " flipped after the CRC was computed", flipped + TLS_HELLO, invalid(mm))
    with_payload = hdr[:-4]
    tail_crc = struct.pack(">I", crc32c(with_payload + bytes(4) + HTTP_REQ))
    emit("v2-invalid", "tlv-crc32c-over-payload-too", "hand-built from §2.2.3, the CRC wrongly covers"
         " the payload as well", with_payload + tail_crc + HTTP_REQ, invalid(mm))
    body_crc = struct.pack(">I", crc32c(hdr[16:-4] + bytes(4)))
    emit("v2-invalid", "tlv-crc32c-over-body-only", "hand-built from §2.2.3, the CRC wrongly"
         " skips the 16-byte prefix", hdr[:-4] + body_crc, invalid(mm))
    h2, _ = v2_build(fam=0x11, addr=A4, tlvs=[(0x03, CRC), (0x02, b"example.com")])
    h2 = bytearray(h2)
    h2[-1] ^= 0x20
    emit("v2-invalid", "tlv-crc32c-later-tlv-changed", "hand-built from §2.2.3, a later TLV byte"
         " changed after the CRC was computed", h2, invalid(mm))
    tbad("tlv-crc32c-checked-after-framing", tr, "§2.2.3, a wrong CRC then a truncated TLV:"
         " framing is checked first", [(0x03, b"\0\0\0\1")], tail=b"\x01\x00\x09")
    tbad("tlv-crc32c-checked-after-content", ui, "§2.2.3, a wrong CRC then a too long"
         " UNIQUE_ID: content is checked first", [(0x03, b"\0\0\0\1"), (0x05, bytes(129))])
    tbad("tlv-crc32c-text-not-checked", mm, "§2.2.3, a wrong CRC and an AUTHORITY that is not"
         " UTF-8: only the CRC is a rule", [(0x03, b"\0\0\0\1"), (0x02, b"\xff")])
    tbad("tlv-crc32c-length-before-authority", "v2-crc32c-length", "§2.2.3, wire order",
         [(0x03, b"\0\0"), (0x02, b"\xff")])

    for n in (129, 255, 1000):
        tbad("tlv-unique-id-%d" % n, ui, "§2.2.5, over 128 bytes", [(0x05, b"u" * n)])
    def ssl(sub, client=0x01, verify=0):
        return bytes([client]) + struct.pack(">I", verify) + sub

    st = "v2-ssl-too-short"
    for n in (0, 1, 4):
        tbad("tlv-ssl-length-%d" % n, st, "§2.2.6, shorter than client and verify", [(0x20, bytes(n))])
    sf = "v2-ssl-sub-tlv-framing"
    tbad("tlv-ssl-sub-tlv-overruns", sf, "§2.2.6", [(0x20, ssl(b"\x21\x00\x08TLSv1"))])
    tbad("tlv-ssl-sub-tlv-max-length", sf, "§2.2.6", [(0x20, ssl(b"\x22\xff\xff"))])
    tbad("tlv-ssl-one-stray-byte", sf, "§2.2.6", [(0x20, ssl(tlv(0x21, b"TLSv1.3") + b"\x21"))])
    tbad("tlv-ssl-two-stray-bytes", sf, "§2.2.6", [(0x20, ssl(b"\x21\x00"))])
    tbad("tlv-order-unique-id-then-ssl", ui, "§2.2, the first failing TLV in wire order wins",
         [(0x05, bytes(200)), (0x20, b"\x01")])
    tbad("tlv-order-ssl-then-unique-id", st, "§2.2, the first failing TLV in wire order wins",
         [(0x20, b"\x01"), (0x05, bytes(200))])
    tbad("tlv-order-unique-id-then-truncated", ui, "§2.2, a content failure before a framing"
         " failure in wire order", [(0x05, bytes(129))], tail=b"\x01\x00\x09")
    tbad("tlv-order-crc32c-length-then-trailing", "v2-crc32c-length", "§2.2, wire order",
         [(0x03, b"\0")], tail=b"\x01")


def gen_incomplete():
    f = "incomplete"
    full_v1 = b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
    emit(f, "incomplete-empty", "empty input is a prefix of every header", b"", INCOMPLETE)
    for name, data in [
        ("incomplete-v1-p", b"P"), ("incomplete-v1-proxy", b"PROXY"), ("incomplete-v1-proxy-space", b"PROXY "),
        ("incomplete-v1-tcp4", b"PROXY TCP4"), ("incomplete-v1-tcp4-space", b"PROXY TCP4 "),
        ("incomplete-v1-mid-address", b"PROXY TCP4 192.168"),
        ("incomplete-v1-no-crlf", full_v1[:-2]), ("incomplete-v1-cr-no-lf", full_v1[:-1]),
        ("incomplete-v1-tcp6-cr-no-lf", b"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r"),
        ("incomplete-v1-unknown", b"PROXY UNKNOWN"), ("incomplete-v1-unknown-cr", b"PROXY UNKNOWN\r"),
        ("incomplete-v1-unknown-106-bytes", b"PROXY UNKNOWN " + b"z" * 92),
        ("incomplete-v1-unknown-lone-crs", b"PROXY UNKNOWN\r\r\r"),
    ]:
        emit(f, name, "hand-built from §2.1, a strict prefix of a line", data, INCOMPLETE)
    hdr, _ = v2_build(fam=0x11, addr=A4, tlvs=[(0x03, CRC)])
    for n in (1, 4, 5, 12, 13, 14, 15, 16, 27, len(hdr) - 1):
        emit(f, "incomplete-v2-first-%d-bytes" % n, "hand-built from §2.2, a strict prefix of a"
             " TCP4 header with CRC32C", hdr[:n], INCOMPLETE)
    big, _ = v2_build(fam=0x21, addr=A6, tlvs=[(0x04, bytes(65535 - 36 - 3))])
    assert struct.unpack(">H", big[14:16])[0] == 0xFFFF
    emit(f, "incomplete-v2-length-ffff", "hand-built from §2.2, length 0xffff with 200 bytes sent",
         big[:216], INCOMPLETE)
    emit(f, "incomplete-v2-unix-partial-block", "hand-built from §2.2, 100 of 216 UNIX bytes",
         v2_build(fam=0x31, addr=AU)[0][:116], INCOMPLETE)
    bad_body, _ = v2_build(fam=0x11, addr=A4, tlvs=[(0x02, b"\xff\xff"), (0x03, b"\0\0\0\0")])
    emit(f, "incomplete-v2-body-not-examined", "hand-built from §2.2, a body with a bad AUTHORITY"
         " and CRC is not examined before it is whole", bad_body[:-1], INCOMPLETE)
    emit(f, "incomplete-v2-local-no-body", "hand-built from §2.2, LOCAL declaring 4 bytes",
         SIG + b"\x20\x00\x00\x04", INCOMPLETE)


def gen_not_proxy():
    f = "not-proxy"
    for name, data, note in [
        ("not-proxy-tls-client-hello", TLS_HELLO, "a bare TLS ClientHello"),
        ("not-proxy-http-get", HTTP_REQ, "a bare HTTP request"),
        ("not-proxy-http-post", b"POST /api HTTP/1.1\r\n", "starts with 'P' but not PROXY"),
        ("not-proxy-http2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "starts with 'PR'"),
        ("not-proxy-http-put", b"PUT / HTTP/1.1\r\n", "starts with 'P'"),
        ("not-proxy-ssh-banner", SSH_BANNER, "an SSH banner"),
        ("not-proxy-smtp-ehlo", b"EHLO mail.example\r\n", "an SMTP greeting"),
        ("not-proxy-lower-case", b"proxy TCP4 1.2.3.4 5.6.7.8 80 443\r\n", "lower-case proxy"),
        ("not-proxy-mixed-case", b"Proxy TCP4 1.2.3.4 5.6.7.8 80 443\r\n", "mixed-case proxy"),
        ("not-proxy-proxz", b"PROXZ TCP4", "one wrong letter"),
        ("not-proxy-proxy-tab", b"PROXY\tTCP4 1.2.3.4 5.6.7.8 80 443\r\n", "a tab for the space"),
        ("not-proxy-proxy-crlf", b"PROXY\r\n", "PROXY without its space"),
        ("not-proxy-leading-space", b" PROXY TCP4 1.2.3.4 5.6.7.8 80 443\r\n", "a leading space"),
        ("not-proxy-nul-byte", b"\x00", "a single NUL"),
        ("not-proxy-lf", b"\n", "a single LF"),
        ("not-proxy-blank-lines", b"\r\n\r\n\r\n", "CRLF CRLF CRLF: byte 5 is not NUL"),
        ("not-proxy-crlf-then-get", b"\r\nGET / HTTP/1.1\r\n", "CRLF then an HTTP request"),
        ("not-proxy-v2-quit-cr", SIG[:11] + b"\r" + b"\x21\x11\x00\x0c", "v2 signature with a wrong last byte"),
        ("not-proxy-redis", b"*1\r\n$4\r\nPING\r\n", "a RESP command"),
        ("not-proxy-high-byte", b"\xff\xfe", "binary noise"),
    ]:
        emit(f, name, "hand-built, " + note + " (§2.2 version detection)", data, NOT_PROXY)
    hdr, _ = v2_build(fam=0x11, addr=A4)
    for i in range(1, 12):
        data = bytearray(hdr)
        data[i] ^= 0x40
        emit(f, "not-proxy-v2-signature-byte-%d" % (i + 1), "hand-built from §2.2, signature byte"
             " %d differs" % (i + 1), data, NOT_PROXY)
    line = b"PROXY TCP4 1.2.3.4 5.6.7.8 80 443\r\n"
    for i in range(1, 6):
        data = bytearray(line)
        data[i] = ord("_")
        emit(f, "not-proxy-v1-prefix-byte-%d" % (i + 1), "hand-built from §2.1, byte %d of 'PROXY '"
             " differs" % (i + 1), data, NOT_PROXY)


def render():
    """Every vector file's path and text, in a deterministic order."""
    gen_v1()
    gen_v1_invalid()
    gen_v2()
    gen_v2_tlv()
    gen_v2_invalid()
    gen_incomplete()
    gen_not_proxy()
    files = {}
    for folder in FOLDERS:
        for v in VECS[folder]:
            path = os.path.join(VECTORS, folder, v["name"] + ".json")
            files[path] = json.dumps(v, indent=2, ensure_ascii=False) + "\n"
    return files


def main():
    files = render()
    if sys.argv[1:] == ["--check"]:
        # CI: the committed vectors are exactly what this script writes.
        on_disk = {}
        for folder in FOLDERS:
            path = os.path.join(VECTORS, folder)
            for name in sorted(os.listdir(path)) if os.path.isdir(path) else []:
                if name.endswith(".json"):
                    with open(os.path.join(path, name), encoding="utf-8") as f:
                        on_disk[os.path.join(path, name)] = f.read()
        stale = sorted(p for p in set(files) | set(on_disk) if files.get(p) != on_disk.get(p))
        for p in stale:
            print("stale: %s" % os.path.relpath(p, HERE))
        print("gen_vectors: %d files, %d stale" % (len(files), len(stale)))
        sys.exit(1 if stale else 0)
    for folder in FOLDERS:
        path = os.path.join(VECTORS, folder)
        os.makedirs(path, exist_ok=True)
        for old in os.listdir(path):
            if old.endswith(".json"):
                os.remove(os.path.join(path, old))
    for path, text in files.items():
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    for folder in FOLDERS:
        print("%-12s %4d" % (folder, len(VECS[folder])))
    print("%-12s %4d" % ("total", sum(len(v) for v in VECS.values())))


if __name__ == "__main__":
    main()
