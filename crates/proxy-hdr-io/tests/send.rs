//! The sending side: a header and the client's first bytes written in one
//! write where they fit, nothing lost where they do not, over an embedded
//! stream that takes a few bytes per write and over real loopback sockets;
//! and the builder's refusals, each a precise error.

use std::convert::Infallible;
use std::net::SocketAddr;

use proxy_hdr::v2::TlvType;
use proxy_hdr::{Addresses, Header, Protocol, Status, Version};
use proxy_hdr_io::{BuildError, Config, Keep, Outbound, SendError, write_header};
use tokio::io::AsyncReadExt;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn tcp4() -> Header<'static> {
    Header::V2(proxy_hdr::v2::Header::proxy(
        Protocol::Stream,
        Addresses::from_sockets(addr("192.0.2.7:40000"), addr("198.51.100.1:443")).unwrap(),
    ))
}

/// An embedded stream that takes at most `max` bytes per write and records
/// the size of every write.
struct Stingy {
    max: usize,
    out: Vec<u8>,
    writes: Vec<usize>,
}

impl embedded_io::ErrorType for Stingy {
    type Error = Infallible;
}

impl embedded_io::Write for Stingy {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        let n = buf.len().min(self.max);
        self.out.extend_from_slice(&buf[..n]);
        self.writes.push(n);
        Ok(n)
    }
    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

#[test]
fn embedded_write_is_one_write_when_it_fits_and_loses_nothing_when_not() {
    let header = tcp4();
    let first = b"\x16\x03\x01\x00\x05hello";
    let mut expected = vec![0u8; header.encoded_len()];
    header.write(&mut expected).unwrap();
    expected.extend_from_slice(first);

    // Room for everything, a stream that takes everything: one write.
    let mut stream = Stingy { max: usize::MAX, out: Vec::new(), writes: Vec::new() };
    let mut buf = [0u8; 64];
    let len = write_header(&mut stream, &header, first, &mut buf).unwrap();
    assert_eq!((len, &stream.out[..], &stream.writes[..]), (28, &expected[..], &[38][..]));

    // Room for the header and part of the payload, a stream that takes 3
    // bytes per write: the same bytes in order.
    let mut stream = Stingy { max: 3, out: Vec::new(), writes: Vec::new() };
    let mut buf = [0u8; 30];
    write_header(&mut stream, &header, first, &mut buf).unwrap();
    assert_eq!(stream.out, expected);

    // No room for the header: an encoding error, nothing written.
    let mut stream = Stingy { max: usize::MAX, out: Vec::new(), writes: Vec::new() };
    let mut buf = [0u8; 27];
    let err = write_header(&mut stream, &header, first, &mut buf).unwrap_err();
    assert!(matches!(err, SendError::Encode(_)), "{err:?}");
    assert!(err.to_string().starts_with("cannot encode the PROXY header"), "{err}");
    assert!(stream.out.is_empty());
}

#[test]
fn std_write_reaches_a_real_socket_in_one_segment() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let to = listener.local_addr().unwrap();
    let sender = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(to).unwrap();
        proxy_hdr_io::write_header_std(&mut stream, &tcp4(), b"GET / HTTP/1.0\r\n\r\n").unwrap()
    });
    let (mut conn, _) = listener.accept().unwrap();
    let len = sender.join().unwrap();
    // The sender has written and closed: one read sees both.
    let mut first = [0u8; 256];
    let n = std::io::Read::read(&mut conn, &mut first).unwrap();
    let Ok(Status::Complete { header, len: parsed }) = proxy_hdr::parse(&first[..n]) else {
        panic!("{:?}", &first[..n])
    };
    assert_eq!((parsed, header.source()), (len, Some(addr("192.0.2.7:40000"))));
    assert_eq!(&first[len..n], b"GET / HTTP/1.0\r\n\r\n");
}

/// A tokio sender and the tokio driver: the receiver gets the header and,
/// as its leftover, exactly the payload sent with it.
#[tokio::test]
async fn tokio_write_then_the_driver_reads_header_and_payload() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let to = listener.local_addr().unwrap();
    let payload: Vec<u8> = (0..2000u32).map(|i| i as u8).collect();
    let sent = payload.clone();
    let sender = tokio::spawn(async move {
        let mut stream = tokio::net::TcpStream::connect(to).await.unwrap();
        let header = Header::V2(proxy_hdr::v2::Header::proxy(
            Protocol::Stream,
            Addresses::from_sockets(addr("[2001:db8::7]:7"), addr("[2001:db8::1]:443")).unwrap(),
        ));
        proxy_hdr_io::write_header_tokio(&mut stream, &header, &sent).await.unwrap();
    });
    let (mut conn, _) = listener.accept().await.unwrap();
    let mut buf = [0u8; 512];
    let accepted =
        proxy_hdr_io::read_header_tokio(&mut conn, &mut buf, &Config::new()).await.unwrap();
    let header = accepted.header.unwrap();
    assert_eq!(header.source(), Some(addr("[2001:db8::7]:7")));
    let mut received = accepted.leftover.to_vec();
    conn.read_to_end(&mut received).await.unwrap();
    assert_eq!(received, payload);
    sender.await.unwrap();
}

#[test]
fn the_builder_refuses_what_the_spec_cannot_carry() {
    let v4 = addr("192.0.2.7:1");
    let v6 = addr("[2001:db8::1]:443");
    let cases: [(Outbound, BuildError); 4] = [
        (Outbound::v1(v4, v6), BuildError::MixedFamilies),
        (Outbound::v2(v4, v6), BuildError::MixedFamilies),
        (Outbound::v1(v4, v4).authority("x"), BuildError::V1CarriesNoTlvs),
        (Outbound::v1(v4, v4).with_protocol(Protocol::Dgram), BuildError::V1IsTcpOnly),
    ];
    for (outbound, error) in cases {
        assert_eq!(outbound.encode(), Err(error.clone()), "{outbound:?}");
        assert!(!error.to_string().is_empty());
    }
    // An AUTHORITY too long for a TLV's 16-bit length.
    let long = "h".repeat(70_000);
    assert!(matches!(Outbound::v2(v4, v4).authority(&long).encode(), Err(BuildError::Write(_))));
}

#[test]
fn local_unknown_and_unix_headers_round_trip() {
    let local = Outbound::local().encode().unwrap();
    let Ok(Status::Complete { header, .. }) = proxy_hdr::parse(&local) else { panic!() };
    assert_eq!(header.command(), proxy_hdr::Command::Local);

    let unknown = Outbound::unknown(Version::V1).encode().unwrap();
    assert_eq!(unknown, b"PROXY UNKNOWN\r\n");

    // A unix-socket header passed through keeps its paths and TLVs.
    let mut wire = [0u8; 300];
    let unix = proxy_hdr::v2::Header::proxy(
        Protocol::Stream,
        Addresses::Unix {
            source: proxy_hdr::UnixAddr::new(b"/run/client.sock").unwrap(),
            destination: proxy_hdr::UnixAddr::new(b"/run/app.sock").unwrap(),
        },
    );
    let len = Header::V2(unix).write(&mut wire).unwrap();
    let Ok(Status::Complete { header, .. }) = proxy_hdr::parse(&wire[..len]) else { panic!() };
    let again = Outbound::from_header(&header, Keep::All).tlv(TlvType::Netns, b"ns").encode();
    let again = again.unwrap();
    let Ok(Status::Complete { header: up, .. }) = proxy_hdr::parse(&again) else { panic!() };
    assert_eq!(up.addresses(), header.addresses());
    assert_eq!(up.tlvs().iter().map(|t| t.kind()).collect::<Vec<_>>(), [TlvType::Netns]);
}
