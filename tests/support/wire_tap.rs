//! A transparent TCP relay in front of the real server that counts protocol
//! messages: how many groups the client ended (Sync, simple Query), how
//! many times the server answered ReadyForQuery, and how many notices and
//! warnings it sent. Bytes pass unchanged.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// Message counts seen by the relay, over all its connections.
#[derive(Default)]
pub struct Counts {
    /// Sync and Query messages from the client.
    pub groups_sent: AtomicUsize,
    /// ReadyForQuery messages from the server.
    pub ready_for_query: AtomicUsize,
    /// NoticeResponse messages (notices and warnings) from the server.
    pub notices: AtomicUsize,
}

impl Counts {
    /// (groups sent, ReadyForQuery received) so far.
    pub fn now(&self) -> (usize, usize) {
        (
            self.groups_sent.load(Ordering::SeqCst),
            self.ready_for_query.load(Ordering::SeqCst),
        )
    }
}

/// A relay listening on a free local port.
pub struct WireTap {
    pub port: u16,
    pub counts: Arc<Counts>,
}

impl WireTap {
    /// Relays every connection made to the returned port to `upstream_port`
    /// on the local host.
    pub async fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let counts = Arc::new(Counts::default());
        let shared = counts.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(("127.0.0.1", upstream_port))
                    .await
                    .unwrap();
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                let counts = shared.clone();
                tokio::spawn(relay(
                    client_read,
                    server_write,
                    counts.clone(),
                    Side::Client,
                ));
                tokio::spawn(relay(server_read, client_write, counts, Side::Server));
            }
        });
        Self { port, counts }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Client,
    Server,
}

async fn relay(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, counts: Arc<Counts>, side: Side) {
    // The client's first message (start-up) has no type byte.
    let mut untyped_first = side == Side::Client;
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = [0_u8; 16 * 1024];
    loop {
        let read = match from.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        if to.write_all(&chunk[..read]).await.is_err() {
            return;
        }
        pending.extend_from_slice(&chunk[..read]);
        loop {
            let offset = usize::from(!untyped_first);
            let Some(length) = pending
                .get(offset..offset + 4)
                .map(|bytes| u32::from_be_bytes(bytes.try_into().unwrap()) as usize)
            else {
                break;
            };
            if pending.len() < offset + length {
                break;
            }
            if !untyped_first {
                let counter = match (side, pending[0]) {
                    (Side::Client, b'S' | b'Q') => Some(&counts.groups_sent),
                    (Side::Server, b'Z') => Some(&counts.ready_for_query),
                    (Side::Server, b'N') => Some(&counts.notices),
                    _ => None,
                };
                if let Some(counter) = counter {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }
            pending.drain(..offset + length);
            untyped_first = false;
        }
    }
}
