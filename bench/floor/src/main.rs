//! The benchmark floor: the cheapest possible "DNS server".
//!
//! One UDP socket, read in batches with `recvmmsg` and answered in batches with
//! `sendmmsg`. Each datagram that looks like a query (at least a 12-byte header,
//! QR bit clear) is sent back with the QR bit set and nothing else changed:
//! no parsing, no lookup, no allocation per packet. What this costs per query
//! is what the kernel and the socket API cost, so it is the floor under every
//! real server measured by `bench/run`.
//!
//! Usage: `floor [--listen ADDR]` (default `127.0.0.1:5300`). It prints
//! `floor listening on ADDR` on stderr once bound and runs until killed.
//! Linux only (recvmmsg/sendmmsg).

// The batch socket calls have no safe wrapper in std; every unsafe block below
// says why it is sound.
#![allow(unsafe_code)]

use std::{
    io,
    mem::{self, MaybeUninit},
    net::{SocketAddr, UdpSocket},
    os::fd::AsRawFd,
};

/// Datagrams per system call. dnsperf keeps up to 500 queries in flight, so a
/// busy socket usually has more than this queued; 64 keeps the buffers small.
const BATCH: usize = 64;
/// Largest datagram we read; a DNS query over UDP is far smaller.
const BUFFER: usize = 4096;
/// Receive buffer we ask for, the same as dnsd asks for, so drops under
/// overload are comparable.
const RECV_BUFFER: libc::c_int = 4 << 20;
const HEADER_LEN: usize = 12;
/// QR is the top bit of the third header byte.
const QR_BIT: u8 = 0x80;

fn main() {
    let listen = match parse_args() {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("floor: {message}\nusage: floor [--listen ADDR]");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(listen) {
        eprintln!("floor: {error}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<SocketAddr, String> {
    let mut listen: SocketAddr = "127.0.0.1:5300".parse().map_err(|e| format!("{e}"))?;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => {
                let value = args.next().ok_or("--listen needs an address")?;
                listen = value
                    .parse()
                    .map_err(|e| format!("bad address {value}: {e}"))?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(listen)
}

fn run(listen: SocketAddr) -> io::Result<()> {
    let socket = UdpSocket::bind(listen)?;
    let fd = socket.as_raw_fd();
    set_recv_buffer(fd);
    eprintln!("floor listening on {}", socket.local_addr()?);

    // All per-packet state lives in these arrays for the life of the process;
    // the headers point into them, so they must not move (they are boxed and
    // never resized).
    let mut buffers = vec![[0u8; BUFFER]; BATCH].into_boxed_slice();
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
    let mut addrs: Box<[libc::sockaddr_storage]> =
        (0..BATCH).map(|_| unsafe { mem::zeroed() }).collect();
    let mut iovecs: Box<[libc::iovec]> = buffers
        .iter_mut()
        .map(|buffer| libc::iovec {
            iov_base: buffer.as_mut_ptr().cast(),
            iov_len: BUFFER,
        })
        .collect();
    let mut recv_headers: Box<[libc::mmsghdr]> = (0..BATCH)
        .map(|i| mmsghdr(&mut iovecs[i], &mut addrs[i]))
        .collect();
    // The send side gets its own iovecs (lengths differ per answer) and
    // headers, filled densely with the datagrams we answer.
    let mut send_iovecs: Box<[libc::iovec]> = iovecs.clone();
    let mut send_headers: Box<[libc::mmsghdr]> = (0..BATCH)
        .map(|i| mmsghdr(&mut send_iovecs[i], &mut addrs[i]))
        .collect();

    loop {
        for header in recv_headers.iter_mut() {
            // The kernel shrinks msg_namelen to the peer's address size; reset it.
            header.msg_hdr.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as u32;
            header.msg_len = 0;
        }
        // SAFETY: `recv_headers` holds BATCH valid mmsghdr whose iovecs and
        // name buffers point into `buffers` and `addrs`, which outlive the call
        // and are not otherwise borrowed during it. MSG_WAITFORONE blocks for
        // the first datagram only, then returns what is queued.
        let received = unsafe {
            libc::recvmmsg(
                fd,
                recv_headers.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if received < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        let mut answers = 0;
        for i in 0..received as usize {
            let len = recv_headers[i].msg_len as usize;
            let packet = &mut buffers[i];
            // Too short for a header, or already a response: not answered
            // (answering responses would let two floors loop forever).
            if len < HEADER_LEN || packet[2] & QR_BIT != 0 {
                continue;
            }
            packet[2] |= QR_BIT;
            let slot = &mut send_headers[answers];
            send_iovecs[answers] = libc::iovec {
                iov_base: packet.as_mut_ptr().cast(),
                iov_len: len,
            };
            slot.msg_hdr.msg_iov = &mut send_iovecs[answers];
            slot.msg_hdr.msg_name = (&mut addrs[i] as *mut libc::sockaddr_storage).cast();
            slot.msg_hdr.msg_namelen = recv_headers[i].msg_hdr.msg_namelen;
            answers += 1;
        }
        send_all(fd, &mut send_headers[..answers]);
    }
}

/// Sends every prepared datagram; one that the kernel refuses is skipped so a
/// single bad peer cannot stall the loop.
fn send_all(fd: libc::c_int, headers: &mut [libc::mmsghdr]) {
    let mut sent = 0;
    while sent < headers.len() {
        let rest = &mut headers[sent..];
        // SAFETY: every header in `rest` points at an iovec and a peer address
        // filled in for this batch, and at a buffer holding `iov_len` bytes;
        // all of them outlive the call.
        let n = unsafe { libc::sendmmsg(fd, rest.as_mut_ptr(), rest.len() as libc::c_uint, 0) };
        if n > 0 {
            sent += n as usize;
        } else if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        } else {
            sent += 1; // this datagram failed (e.g. peer gone): drop it
        }
    }
}

/// A message header with one iovec and room for the peer address.
fn mmsghdr(iovec: &mut libc::iovec, addr: &mut libc::sockaddr_storage) -> libc::mmsghdr {
    // SAFETY: mmsghdr is plain old data; zero is a valid "no control data,
    // no flags" value for the fields set below.
    let mut header: libc::mmsghdr = unsafe { MaybeUninit::zeroed().assume_init() };
    header.msg_hdr.msg_iov = iovec;
    header.msg_hdr.msg_iovlen = 1;
    header.msg_hdr.msg_name = (addr as *mut libc::sockaddr_storage).cast();
    header.msg_hdr.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as u32;
    header
}

/// Best effort, as in dnsd: a smaller buffer only means earlier drops.
fn set_recv_buffer(fd: libc::c_int) {
    let size = RECV_BUFFER;
    // SAFETY: `fd` is an open socket and `size` is a c_int that lives across
    // the call; the length passed matches its type.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}
