//! The no_std usage, run on the host: a fixed stack buffer, a blocking
//! `embedded_io::Read` stream (here an in-memory one standing in for a
//! microcontroller's TCP socket, e.g. embassy-net or smoltcp), no allocation.
//!
//! `cargo run -p proxy-hdr-io --example embedded`

use proxy_hdr_io::{Config, Policy, Rewind, read_header};

/// Bytes as a proxy sends them, in small pieces as a slow link would.
struct Socket {
    wire: &'static [u8],
    piece: usize,
}

impl embedded_io::ErrorType for Socket {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = self.piece.min(buf.len()).min(self.wire.len());
        buf[..n].copy_from_slice(&self.wire[..n]);
        self.wire = &self.wire[n..];
        Ok(n)
    }
}

fn main() {
    let mut socket = Socket {
        wire: b"PROXY TCP4 192.0.2.7 198.51.100.1 56324 80\r\nGET / HTTP/1.1\r\n\r\n",
        piece: 16,
    };
    // A v1 line is at most 107 bytes: a 128-byte buffer on the stack is enough.
    let mut buf = [0u8; 128];
    let config = Config::new().with_policy(Policy::Require).with_max_header_len(128);

    // The socket's peer address, as the network stack reports it: checked
    // against the trusted peers (here, any).
    let peer = Some("10.0.0.1".parse().unwrap());
    let accepted = match read_header(&mut socket, peer, &mut buf, &config) {
        Ok(accepted) => accepted,
        Err(e) => {
            println!("rejected: {e}");
            return;
        }
    };
    let client = accepted.header.and_then(|h| h.source());
    println!("client: {client:?}");
    assert_eq!(client, Some("192.0.2.7:56324".parse().unwrap()));

    // The HTTP request starts with the leftover, then continues on the socket.
    let mut stream = Rewind::new(socket, accepted.leftover);
    let mut request = [0u8; 64];
    let mut len = 0;
    loop {
        match embedded_io::Read::read(&mut stream, &mut request[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(never) => match never {},
        }
    }
    println!("request: {:?}", core::str::from_utf8(&request[..len]));
    assert_eq!(&request[..len], b"GET / HTTP/1.1\r\n\r\n");
}
