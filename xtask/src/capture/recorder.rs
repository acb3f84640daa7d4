//! The receiving end of a capture: a loopback listener that keeps every
//! byte each connection sends.

use std::io::{ErrorKind, Read};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a connection may stay silent before its capture is over.
const SILENCE: Duration = Duration::from_secs(1);

/// What one connection sent before it closed or fell silent.
#[derive(Debug, Clone)]
pub(super) struct Conn {
    /// The sender's side of the connection.
    pub peer: SocketAddr,
    /// Every byte received, in order.
    pub bytes: Vec<u8>,
    /// The size of each successful read, to see how the sender split its writes.
    pub reads: Vec<usize>,
}

/// A listener on `ip`, port 0, recording on its own threads until dropped.
pub(super) struct Recorder {
    pub addr: SocketAddr,
    conns: Arc<Mutex<Vec<Conn>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Recorder {
    pub(super) fn start(ip: IpAddr) -> Result<Self, String> {
        let listener =
            TcpListener::bind((ip, 0)).map_err(|e| format!("binding the recorder on {ip}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        // Non-blocking accept lets the thread notice `stop` without a wake-up connection.
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let conns = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (conns, stop) = (Arc::clone(&conns), Arc::clone(&stop));
            thread::spawn(move || accept_loop(&listener, &conns, &stop))
        };
        Ok(Recorder { addr, conns, stop, accept: Some(accept) })
    }

    /// The first connection to finish, waiting up to `timeout` for one.
    pub(super) fn first(&self, timeout: Duration) -> Option<Conn> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(conn) = self.conns.lock().ok()?.first() {
                return Some(conn.clone());
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, conns: &Arc<Mutex<Vec<Conn>>>, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, peer)) => {
                let conns = Arc::clone(conns);
                thread::spawn(move || {
                    let conn = record(stream, peer);
                    if let Ok(mut all) = conns.lock() {
                        all.push(conn);
                    }
                });
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(10)),
            Err(_) => return,
        }
    }
}

/// Reads until the peer closes or stays silent for [`SILENCE`]; the stream is
/// closed on return, which is what ends a waiting client.
fn record(mut stream: std::net::TcpStream, peer: SocketAddr) -> Conn {
    let mut conn = Conn { peer, bytes: Vec::new(), reads: Vec::new() };
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(SILENCE)).is_err() {
        return conn;
    }
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                conn.bytes.extend_from_slice(buf.get(..n).unwrap_or_default());
                conn.reads.push(n);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Silence (WouldBlock/TimedOut) or a reset: the capture is what arrived.
            Err(_) => break,
        }
    }
    conn
}
