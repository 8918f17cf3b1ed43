//! Batched datagram I/O with `recvmmsg`/`sendmmsg`: one system call moves up to
//! [`BATCH`] queries in and up to as many answers out. All unsafe code of the
//! DNS path lives here, behind a safe interface.
#![allow(unsafe_code)]

use std::{
    io,
    mem::{size_of, zeroed},
    net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6},
    os::fd::{AsRawFd, RawFd},
    ptr::null_mut,
};

/// Datagrams per system call. Bigger batches amortise more but add latency
/// only under load (`MSG_WAITFORONE` returns as soon as one is there).
pub const BATCH: usize = 32;
/// Largest datagram read; anything longer is not a query we answer.
pub const RECV_BUFFER: usize = 4096;

/// Receive and send buffers for one socket and one worker thread.
pub struct BatchIo {
    fd: RawFd,
    packets: Vec<Vec<u8>>,
    lens: [usize; BATCH],
    peers: [libc::sockaddr_storage; BATCH],
    peer_lens: [libc::socklen_t; BATCH],
    replies: Vec<Vec<u8>>,
    reply_slots: Vec<usize>,
    iovecs: [libc::iovec; BATCH],
    headers: [libc::mmsghdr; BATCH],
}

impl BatchIo {
    /// Borrows the socket's descriptor: the socket must outlive this value.
    pub fn new(socket: &impl AsRawFd) -> Self {
        Self {
            fd: socket.as_raw_fd(),
            packets: (0..BATCH).map(|_| vec![0; RECV_BUFFER]).collect(),
            lens: [0; BATCH],
            // SAFETY: all-zero bytes are a valid value for these plain C structs.
            peers: unsafe { zeroed() },
            peer_lens: [0; BATCH],
            replies: (0..BATCH).map(|_| Vec::with_capacity(1232)).collect(),
            reply_slots: Vec::with_capacity(BATCH),
            // SAFETY: as above; the pointers inside are set before each use.
            iovecs: unsafe { zeroed() },
            headers: unsafe { zeroed() },
        }
    }

    /// Blocks until at least one datagram arrives, then takes what is queued
    /// (up to [`BATCH`]). Returns how many were received.
    pub fn receive(&mut self) -> io::Result<usize> {
        self.reply_slots.clear();
        for i in 0..BATCH {
            self.iovecs[i] = libc::iovec {
                iov_base: self.packets[i].as_mut_ptr().cast(),
                iov_len: RECV_BUFFER,
            };
            // SAFETY: zeroed msghdr is valid; then every field we rely on is set.
            let mut header: libc::msghdr = unsafe { zeroed() };
            header.msg_name = (&raw mut self.peers[i]).cast();
            header.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            header.msg_iov = &raw mut self.iovecs[i];
            header.msg_iovlen = 1;
            self.headers[i] = libc::mmsghdr {
                msg_hdr: header,
                msg_len: 0,
            };
        }
        // SAFETY: `headers` holds BATCH valid mmsghdr whose buffers (packets,
        // peers, iovecs) are owned by `self` and live through the call.
        let received = unsafe {
            libc::recvmmsg(
                self.fd,
                self.headers.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                null_mut(),
            )
        };
        if received < 0 {
            return Err(io::Error::last_os_error());
        }
        let received = received as usize;
        for i in 0..received {
            self.lens[i] = self.headers[i].msg_len as usize;
            self.peer_lens[i] = self.headers[i].msg_hdr.msg_namelen;
        }
        Ok(received)
    }

    /// Who sent the `i`-th datagram.
    pub fn peer(&self, i: usize) -> Option<SocketAddr> {
        let storage = &self.peers[i];
        match i32::from(storage.ss_family) {
            libc::AF_INET => {
                // SAFETY: the kernel wrote a sockaddr_in for AF_INET.
                let addr: &libc::sockaddr_in = unsafe { &*(&raw const *storage).cast() };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr)),
                    u16::from_be(addr.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: the kernel wrote a sockaddr_in6 for AF_INET6.
                let addr: &libc::sockaddr_in6 = unsafe { &*(&raw const *storage).cast() };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(addr.sin6_addr.s6_addr),
                    u16::from_be(addr.sin6_port),
                    addr.sin6_flowinfo,
                    addr.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }

    /// The `i`-th datagram and its reply buffer; call [`Self::queue_reply`]
    /// to send what was written.
    pub fn slot(&mut self, i: usize) -> (&[u8], &mut Vec<u8>) {
        (
            &self.packets[i][..self.lens[i].min(RECV_BUFFER)],
            &mut self.replies[i],
        )
    }

    pub fn queue_reply(&mut self, i: usize) {
        self.reply_slots.push(i);
    }

    /// Sends every queued reply to the peer its query came from.
    pub fn send(&mut self) -> io::Result<()> {
        let count = self.reply_slots.len();
        for (n, &slot) in self.reply_slots.iter().enumerate() {
            self.iovecs[n] = libc::iovec {
                iov_base: self.replies[slot].as_mut_ptr().cast(),
                iov_len: self.replies[slot].len(),
            };
            // SAFETY: as in `receive`.
            let mut header: libc::msghdr = unsafe { zeroed() };
            header.msg_name = (&raw mut self.peers[slot]).cast();
            header.msg_namelen = self.peer_lens[slot];
            header.msg_iov = &raw mut self.iovecs[n];
            header.msg_iovlen = 1;
            self.headers[n] = libc::mmsghdr {
                msg_hdr: header,
                msg_len: 0,
            };
        }
        let mut sent = 0;
        while sent < count {
            // SAFETY: headers[sent..count] are valid and point into buffers
            // owned by `self` that live through the call.
            let result = unsafe {
                libc::sendmmsg(
                    self.fd,
                    self.headers[sent..].as_mut_ptr(),
                    (count - sent) as libc::c_uint,
                    0,
                )
            };
            if result < 0 {
                let error = io::Error::last_os_error();
                if error.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // One unreachable peer must not cost the others their answer.
                sent += 1;
                if sent >= count {
                    return Err(error);
                }
                continue;
            }
            sent += result as usize;
        }
        Ok(())
    }
}
