//! A ready connection: the stream after its setup, with its client info and
//! its place under the listener's connection limit.

// A `no_std` crate: this std-only module takes the std prelude.
#[allow(unused_imports)]
use std::prelude::rust_2024::*;

use alloc::sync::Arc;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::io;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::OwnedSemaphorePermit;

use super::info::ClientInfo;
use super::stats::{Gauge, Stats};

/// A connection a listener hands out, header read (and TLS done, for a TLS
/// listener). Reads and writes go to the inner stream; dropping it frees its
/// place under the listener's open-connection limit.
#[derive(Debug)]
pub struct Connection<C> {
    // Boxed: a TLS stream is over a kilobyte, and a connection moves from
    // its setup task through the ready queue to its server's task; moving a
    // pointer instead saved ~12 KB of copying per handshake (callgrind).
    inner: Box<C>,
    info: ClientInfo,
    slot: Slot,
}

/// What the connection holds of the listener: a permit, and the gauge.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) _permit: Option<OwnedSemaphorePermit>,
    pub(crate) stats: Arc<Stats>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.stats.gauge(Gauge::Open, false);
    }
}

impl<C> Connection<C> {
    pub(crate) fn new(inner: C, info: ClientInfo, slot: Slot) -> Self {
        slot.stats.gauge(Gauge::Open, true);
        Connection { inner: Box::new(inner), info, slot }
    }

    /// The client info: addresses and header.
    pub fn info(&self) -> &ClientInfo {
        &self.info
    }

    /// The stream.
    pub fn get_ref(&self) -> &C {
        &self.inner
    }

    /// The stream, mutably.
    pub fn get_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// The stream and the info; the connection's place under the limit is
    /// freed.
    pub fn into_parts(self) -> (C, ClientInfo) {
        let Connection { inner, info, slot } = self;
        drop(slot);
        (*inner, info)
    }
}

impl<C: AsyncRead + Unpin> AsyncRead for Connection<C> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<C: AsyncWrite + Unpin> AsyncWrite for Connection<C> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
