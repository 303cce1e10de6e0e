//! A TCP relay in front of a server that keeps every byte each client sent,
//! connection by connection, to check what crossed the network in the clear.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A relay on a free local port.
pub struct Recorder {
    pub port: u16,
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Recorder {
    /// Relays every connection made to the returned port to `upstream_port`
    /// on the local host.
    pub async fn start(upstream_port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("its address").port();
        let sent: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let connections = sent.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)).await else {
                    continue;
                };
                let index = {
                    let mut connections = connections.lock().unwrap();
                    connections.push(Vec::new());
                    connections.len() - 1
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                let recorded = connections.clone();
                tokio::spawn(async move {
                    let mut buffer = vec![0; 16 * 1024];
                    while let Ok(read) = client_read.read(&mut buffer).await {
                        if read == 0 {
                            break;
                        }
                        recorded.lock().unwrap()[index].extend_from_slice(&buffer[..read]);
                        if server_write.write_all(&buffer[..read]).await.is_err() {
                            break;
                        }
                    }
                    let _ = server_write.shutdown().await;
                });
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                    let _ = client_write.shutdown().await;
                });
            }
        });
        Self { port, sent }
    }

    /// What each connection's client has sent so far.
    pub fn sent(&self) -> Vec<Vec<u8>> {
        self.sent.lock().unwrap().clone()
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
