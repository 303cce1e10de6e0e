//! A connection's byte stream, through the [`Splicer`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::io::poll_read_buf;

use super::frame;
use super::splicer::{Incoming, Splicer};
use super::unrecognised::Unrecognised;
use crate::transport::traffic::Traffic;

/// The least free space a read from the server gets; also the size beyond
/// which a frame is handed over before it has arrived whole.
const READ_CHUNK: usize = 8 * 1024;

/// Bytes waiting for the server beyond which the driver's writes wait too.
const WRITE_BACKLOG: usize = 64 * 1024;

/// Wraps the socket that the driver reads and writes: frames go through the
/// connection's [`Splicer`] in both directions.
pub(crate) struct SplicingStream<S> {
    inner: S,
    splicer: Splicer,
    /// Bytes written to the socket, and how the stream ended.
    traffic: Traffic,
    /// The driver's bytes not yet framed (the end of a frame still to come).
    unsent: BytesMut,
    /// Framed bytes, context included, waiting for the socket.
    out: BytesMut,
    /// The server's bytes not yet handed to the driver.
    received: BytesMut,
    /// Bytes of the frame being handed over that are still to go.
    passing: usize,
}

impl<S> SplicingStream<S> {
    pub(crate) fn new(inner: S, splicer: Splicer, traffic: Traffic) -> Self {
        Self {
            inner,
            splicer,
            traffic,
            unsent: BytesMut::new(),
            out: BytesMut::new(),
            received: BytesMut::new(),
            passing: 0,
        }
    }
}

impl<S> Drop for SplicingStream<S> {
    /// The connection is over: whoever waits for an answer stops waiting.
    fn drop(&mut self) {
        self.splicer.close();
    }
}

impl<S: AsyncWrite + Unpin> SplicingStream<S> {
    /// Writes `out` to the socket until it is empty or the socket is full.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.out.is_empty() {
            let written = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out))
                .inspect_err(|error| self.traffic.end(error.kind()))?;
            if written == 0 {
                self.traffic.end(io::ErrorKind::WriteZero);
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.traffic.wrote(written);
            self.out.advance(written);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> SplicingStream<S> {
    /// Reads more of the server's bytes into `received`; `false` at the end
    /// of the stream.
    fn poll_receive(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        self.received.reserve(READ_CHUNK);
        let read = ready!(poll_read_buf(
            Pin::new(&mut self.inner),
            cx,
            &mut self.received
        ))
        .inspect_err(|error| self.traffic.end(error.kind()))?;
        if read == 0 {
            self.traffic.end(io::ErrorKind::UnexpectedEof);
        }
        Poll::Ready(Ok(read > 0))
    }
}

/// The stream's error for bytes the splice refused: the driver ends the
/// connection.
fn refused(unrecognised: Unrecognised) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, unrecognised)
}

impl<S: AsyncRead + Unpin> AsyncRead for SplicingStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let mut handed_over = false;
        loop {
            if this.passing > 0 && !this.received.is_empty() && buf.remaining() > 0 {
                let count = this.passing.min(this.received.len()).min(buf.remaining());
                buf.put_slice(&this.received[..count]);
                this.received.advance(count);
                this.passing -= count;
                handed_over = true;
                continue;
            }
            if this.passing == 0 {
                let header = frame::header(&this.received)
                    .map_err(|malformed| refused(this.splicer.refuse(malformed.into())))?;
                if let Some((_, length)) = header {
                    // Small frames are classified whole: only those are removed.
                    if this.received.len() >= length || length > READ_CHUNK {
                        let available = this.received.len().min(length);
                        match this
                            .splicer
                            .classify(&this.received[..available], length)
                            .map_err(refused)?
                        {
                            Incoming::Pass => this.passing = length,
                            Incoming::Remove => this.received.advance(length),
                        }
                        continue;
                    }
                }
            }
            // Whatever was handed over goes to the driver before waiting.
            if handed_over || buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if !ready!(this.poll_receive(cx))? {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SplicingStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.out.len() >= WRITE_BACKLOG {
            ready!(this.poll_drain(cx))?;
        }
        this.unsent.extend_from_slice(data);
        this.splicer
            .write_frames(&mut this.unsent, &mut this.out)
            .map_err(refused)?;
        if let Poll::Ready(Err(error)) = this.poll_drain(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
