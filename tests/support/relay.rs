//! A TCP relay in front of the real server that can cut every connection
//! through it at once, as a network failure would: the client sees its
//! connection end without a word from the server.

use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// A relay listening on a free local port.
pub struct Relay {
    pub port: u16,
    cut: Arc<Notify>,
}

impl Relay {
    /// Relays every connection made to the returned port to `upstream_port`
    /// on the local host.
    pub async fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(Notify::new());
        let cutting = cut.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut server = TcpStream::connect(("127.0.0.1", upstream_port))
                    .await
                    .unwrap();
                let cutting = cutting.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = cutting.notified() => {}
                    }
                });
            }
        });
        Self { port, cut }
    }

    /// Closes every connection through the relay, on both sides.
    pub fn cut(&self) {
        self.cut.notify_waiters();
    }
}
