//! A transfer's answer on its way out: whole messages, or a head and the
//! packed record bodies, assembled, signed and written one message at a
//! time — from a thread of the lowest priority over TCP.

use std::{io::Write, sync::Arc, time::Duration};

use tokio::net::TcpStream;

use super::{
    idle,
    pack::{self, Body},
};
use crate::dns::{
    pressure::{self, QueryPressure},
    tsig::Signer,
};

/// A transfer's answer: whole messages (errors), or a head and the record
/// bodies, assembled and signed one message at a time as they are sent.
pub enum Answer {
    Ready(Vec<Vec<u8>>),
    Records {
        head: Vec<u8>,
        bodies: Arc<Vec<Body>>,
        signer: Option<Signer>,
    },
}

impl Answer {
    /// The messages one by one, each after its TCP length prefix.
    pub fn frames(self) -> Frames {
        Frames {
            answer: self,
            next: 0,
            buf: Vec::new(),
        }
    }

    /// Every message, without prefixes (UDP, tests).
    pub fn into_messages(self) -> Vec<Vec<u8>> {
        let mut frames = self.frames();
        let mut messages = Vec::new();
        while let Some(frame) = frames.next_frame() {
            messages.push(frame[2..].to_vec());
        }
        messages
    }
}

/// Sends `frames` on `stream` from a thread of its own under the lowest
/// scheduling priority (`idle.rs`), pausing before each message while
/// queries press (`pressure.rs`), and gives the stream back; `None` when the
/// peer did not take a frame within `idle` or the connection failed.
pub async fn send_idle(
    stream: TcpStream,
    mut frames: Frames,
    idle: Duration,
    pressure: Arc<QueryPressure>,
) -> Option<TcpStream> {
    let stream = stream.into_std().ok()?;
    stream.set_nonblocking(false).ok()?;
    stream.set_write_timeout(Some(idle)).ok()?;
    let (done, sent) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("dns-xfr".into())
        .spawn(move || {
            if !idle::lower_this_thread() {
                tracing::debug!("SCHED_IDLE refused; sending the transfer at normal priority");
            }
            let mut out = &stream;
            let mut ok = true;
            while let Some(frame) = frames.next_frame() {
                if pressure.pressed() {
                    std::thread::sleep(pressure::YIELD);
                }
                if out.write_all(frame).is_err() {
                    ok = false;
                    break;
                }
            }
            let _ = done.send(ok.then_some(stream));
        })
        .ok()?;
    let stream = sent.await.ok()??;
    stream.set_nonblocking(true).ok()?;
    TcpStream::from_std(stream).ok()
}

/// Produces an answer's frames into one reused buffer.
pub struct Frames {
    answer: Answer,
    next: usize,
    buf: Vec<u8>,
}

impl Frames {
    /// The next message with its two-byte length prefix.
    pub fn next_frame(&mut self) -> Option<&[u8]> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0, 0]);
        match &mut self.answer {
            Answer::Ready(messages) => self.buf.extend_from_slice(messages.get(self.next)?),
            Answer::Records {
                head,
                bodies,
                signer,
            } => {
                pack::assemble(&mut self.buf, head, bodies.get(self.next)?);
                if let Some(signer) = signer {
                    signer.sign_at(&mut self.buf, 2);
                }
            }
        }
        self.next += 1;
        let len = (self.buf.len() - 2) as u16;
        self.buf[..2].copy_from_slice(&len.to_be_bytes());
        Some(&self.buf)
    }
}
