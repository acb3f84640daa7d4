//! The listener in frameworks: an `axum::serve::Listener` whose address is
//! the connection's [`ClientInfo`] (so `ConnectInfo<ClientInfo>` gives
//! handlers the real client), and tonic's `Connected`.

// A `no_std` crate: this std-only module takes the std prelude.
#[allow(unused_imports)]
use std::prelude::rust_2024::*;

#[cfg(feature = "axum")]
mod axum_glue {
    use std::io;

    use axum::extract::connect_info::Connected;
    use axum::serve::IncomingStream;
    use tokio::io::{AsyncRead, AsyncWrite};

    use crate::listener::{Accept, ClientInfo, Connection, Incoming, Listener, Setup};

    /// `accept` returns ready connections only: headers and handshakes run
    /// in each connection's task, never inside it.
    impl<L, S> axum::serve::Listener for Listener<L, S>
    where
        L: Accept,
        S: Setup<Incoming<L>>,
        S::Conn: AsyncRead + AsyncWrite + Unpin + Send,
    {
        type Io = Connection<S::Conn>;
        type Addr = ClientInfo;

        async fn accept(&mut self) -> (Self::Io, Self::Addr) {
            loop {
                match Listener::accept(self).await {
                    Ok(conn) => {
                        let info = conn.info().clone();
                        return (conn, info);
                    }
                    // The accept loop is gone for good: nothing more will
                    // come, and axum wants a connection; wait for shutdown.
                    Err(_) => core::future::pending::<()>().await,
                }
            }
        }

        fn local_addr(&self) -> io::Result<Self::Addr> {
            Ok(ClientInfo { local: Listener::local_addr(self), ..ClientInfo::default() })
        }
    }

    impl<L, S> Connected<IncomingStream<'_, Listener<L, S>>> for ClientInfo
    where
        L: Accept,
        S: Setup<Incoming<L>>,
        S::Conn: AsyncRead + AsyncWrite + Unpin + Send,
    {
        fn connect_info(stream: IncomingStream<'_, Listener<L, S>>) -> Self {
            stream.remote_addr().clone()
        }
    }
}

#[cfg(feature = "tonic")]
impl<C> tonic::transport::server::Connected for crate::listener::Connection<C> {
    type ConnectInfo = crate::listener::ClientInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.info().clone()
    }
}
