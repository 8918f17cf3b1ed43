//! Hands memory back to the kernel that the start, a token export and changes freed.
#![allow(unsafe_code)]

/// Loading the index frees many short-lived buffers between the index's own
/// allocations, and glibc keeps those pages mapped unless asked: ~2.5 MiB
/// of resident memory at 100,000 hosts (docs/PERFORMANCE.md).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; it only walks glibc's own
    // free lists and releases whole free pages.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// After a bulk change (a token export for every host) its commits and its
/// answer leave many freed buffers between live allocations: hands them
/// back a moment later, once the answer has gone out. At 100,000 hosts a
/// token export left RSS at 89 MiB instead of 27 (docs/PERFORMANCE.md).
pub fn release_freed_memory_soon() {
    tokio::spawn(async {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let _ = tokio::task::spawn_blocking(release_free_memory).await;
    });
}

/// The same on a thread of its own, for a caller that must not wait for it
/// (the store writer after many changes: no commit waits for the trim).
pub fn release_free_memory_aside() {
    let spawned = std::thread::Builder::new()
        .name("store-trim".into())
        .spawn(release_free_memory);
    if let Err(error) = spawned {
        tracing::warn!(%error, "could not start a thread to hand freed memory back");
    }
}
