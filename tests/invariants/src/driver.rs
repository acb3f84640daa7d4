//! The driver targets: the read loop under every chunking and policy, and
//! the blocking TLS adapter blaming the right stage.

use std::io::{self, Read, Write};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use proxy_hdr::{Error, Header, Status, parse};
use proxy_hdr_io::{Config, PeerAddr, Policy, Socket};
use proxy_hdr_rustls::ProxyTlsAcceptor;

use crate::readable;

/// An in-memory stream that returns at most the next chunk size per read
/// (cycling through `sizes`, at least one byte), or all it can when `sizes`
/// is empty.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    next: usize,
}

impl embedded_io::ErrorType for Chunked<'_> {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let size = match self.sizes.get(self.next % self.sizes.len().max(1)) {
            Some(&size) => usize::from(size.max(1)),
            None => usize::MAX,
        };
        self.next += 1;
        let n = size.min(buf.len()).min(self.data.len());
        let (now, later) = self.data.split_at(n);
        buf[..n].copy_from_slice(now);
        self.data = later;
        Ok(n)
    }
}

/// The driver's limit in the target, small enough that the fuzzer reaches it.
const DRIVER_LIMIT: usize = 1024;

/// What a read came to, owned so two reads can be compared.
type Outcome = Result<(Option<String>, usize, Vec<u8>), String>;

/// The first byte picks the policy (and the limit), the next 16 are read sizes, the rest is
/// the stream. The outcome (header or error, header length) is the same
/// read in chunks and in one piece; header + leftover + what the stream
/// still holds is the input, byte for byte; and it is what `parse` says.
pub fn driver_chunked(data: &[u8]) {
    let Some((&policy, rest)) = data.split_first() else { return };
    let (sizes, input) = rest.split_at(rest.len().min(16));
    let policies = [Policy::Require, Policy::Optional, Policy::Ignore, Policy::Refuse];
    let policies_byte = policy;
    let policy = policies[usize::from(policy % 4)];
    // The high bit picks a limit below the longest v1 line (107 bytes), so
    // that reads bringing more than the limit are explored too.
    let limit = if policies_byte & 0x80 != 0 { 40 } else { DRIVER_LIMIT };
    let config = Config::new().with_policy(policy).with_max_header_len(limit);
    let run = |sizes: &[u8]| -> (Outcome, Vec<u8>) {
        let mut stream = Chunked { data: input, sizes, next: 0 };
        let mut buf = [0u8; DRIVER_LIMIT];
        let outcome = proxy_hdr_io::read_header(&mut stream, None, &mut buf, &config);
        let outcome = match outcome {
            Ok(a) => {
                check_against_parse(input, a.header.as_ref(), a.header_len, policy);
                Ok((a.header.map(|h| format!("{h:?}")), a.header_len, a.leftover.to_vec()))
            }
            Err(e) => {
                match e {
                    proxy_hdr_io::Error::Invalid(rule) => {
                        // Not-PROXY is its own outcome; as `Invalid` it would
                        // mean the driver framed a header the parser did not find.
                        assert_ne!(
                            rule,
                            Error::NotProxy,
                            "the driver framed a header parse does not see"
                        );
                        assert_eq!(parse(input), Err(rule), "the driver and parse disagree");
                    }
                    // Refuse: a header (or a broken one) arrived.
                    proxy_hdr_io::Error::Unexpected { .. } => {
                        assert_eq!(policy, Policy::Refuse, "Unexpected under {policy:?}");
                        assert_ne!(parse(input), Err(Error::NotProxy), "no header was there");
                    }
                    _ => {}
                }
                readable(&e);
                Err(outcome_of(&e))
            }
        };
        (outcome, stream.data.to_vec())
    };
    let (chunked, unread) = run(sizes);
    let (whole, whole_unread) = run(&[]);
    let strip = |o: &Outcome| o.as_ref().map(|(h, len, _)| (h.clone(), *len)).map_err(Clone::clone);
    assert_eq!(strip(&chunked), strip(&whole), "the chunking changed the outcome");
    for (outcome, unread) in [(&chunked, &unread), (&whole, &whole_unread)] {
        if let Ok((_, header_len, leftover)) = outcome {
            let replay = [&input[..*header_len], leftover, unread].concat();
            assert_eq!(replay, input, "header + leftover + unread is not the input");
        }
    }
}

/// An error as compared across chunkings: its kind and rule, not the byte
/// counts (how much arrived before a stop depends on the chunking).
fn outcome_of<E: std::fmt::Debug>(e: &proxy_hdr_io::Error<E>) -> String {
    use proxy_hdr_io::Error as E;
    match e {
        E::NotProxy { .. } => "not PROXY".into(),
        E::Closed { .. } => "closed".into(),
        E::TimedOut { .. } => "timed out".into(),
        other => format!("{other:?}"),
    }
}

/// A header the driver returns is the one `parse` finds at the start of the
/// input; no header means `parse` found none (or one that was dropped).
fn check_against_parse(input: &[u8], header: Option<&Header<'_>>, len: usize, policy: Policy) {
    let parsed = parse(input);
    match (header, len) {
        (Some(h), _) => {
            assert_eq!(parsed, Ok(Status::Complete { header: *h, len }), "driver vs parse")
        }
        // `Ignore` skips the header by its framing; a v2 body is never
        // examined, since nothing of it is used.
        (None, len) if len > 0 => {
            assert_eq!(policy, Policy::Ignore, "a header of {len} bytes was dropped");
            let framed = proxy_hdr::frame(input);
            assert!(
                matches!(framed, Ok(proxy_hdr::Frame::Whole(f)) if f.len() == len),
                "dropped a {len}-byte header, frame says {framed:?}"
            );
        }
        (None, _) => {
            assert_ne!(policy, Policy::Require, "no header under Require");
            // Refuse passes through only what is not PROXY at all.
            assert!(
                input.is_empty() || parsed == Err(Error::NotProxy),
                "no header, but parse says {parsed:?}"
            );
        }
    }
}

/// A TLS server config made once (rcgen, ring).
fn tls_config() -> Arc<rustls::ServerConfig> {
    static CONFIG: OnceLock<Arc<rustls::ServerConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()])
                .expect("a certificate");
            let key =
                rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring")
                .with_no_client_auth()
                .with_single_cert(vec![cert.cert.der().clone()], key)
                .expect("a server config");
            Arc::new(config)
        })
        .clone()
}

/// Reads the input, then EOF; swallows writes; a socket with no peer
/// address and no timeouts (the target runs every peer as trusted).
struct Replay<'a>(&'a [u8]);

impl PeerAddr for Replay<'_> {
    fn peer_ip(&self) -> io::Result<Option<std::net::IpAddr>> {
        Ok(None)
    }
}

impl Socket for Replay<'_> {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(None)
    }
    fn set_read_timeout(&self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
    fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(None)
    }
    fn set_write_timeout(&self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
    fn is_nonblocking(&self) -> io::Result<bool> {
        Ok(false)
    }
    fn set_nonblocking(&self, _: bool) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Replay<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The adapter's size limit in the target.
const ADAPTER_LIMIT: usize = 1024;

/// Bytes through the blocking adapter under `Optional`: it returns (the
/// input ends), and the stage it blames is the one the parser's verdict on
/// the same bytes implies: a valid header (or none) is never blamed on the
/// PROXY stage, an invalid one always is, with the same rule.
pub fn rustls_accept(data: &[u8]) {
    let config = Config::new().with_policy(Policy::Optional).with_max_header_len(ADAPTER_LIMIT);
    let got = ProxyTlsAcceptor::new(tls_config(), config).accept_blocking(Replay(data));
    let verdict = parse(data.get(..ADAPTER_LIMIT).unwrap_or(data));
    let e = match got {
        Ok(_) => panic!("a TLS handshake completed with no client"),
        Err(e) => {
            readable(&e);
            e
        }
    };
    match verdict {
        Ok(Status::Complete { .. }) | Err(Error::NotProxy) => {
            assert!(!e.is_proxy(), "a valid (or absent) header blamed on the PROXY stage: {e}");
        }
        Err(rule) => assert!(
            matches!(&e, proxy_hdr_rustls::Error::Proxy(proxy_hdr_io::Error::Invalid(r)) if *r == rule),
            "an invalid header ({rule}) reported as {e}"
        ),
        // Nothing at all under `Optional`: TLS sees the end of the stream.
        Ok(Status::Incomplete { .. }) if data.is_empty() => assert!(!e.is_proxy(), "{e}"),
        // The input ends inside the header, or the header is over the limit.
        Ok(Status::Incomplete { .. }) => assert!(e.is_proxy(), "{e}"),
    }
}
