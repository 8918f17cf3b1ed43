//! The update limits people are told about: dnsd enforces them
//! (`[update.abuse]`), control shows them on every host's setup guide
//! (`[hosts.update_limits]`). Both take their defaults from here, so an
//! installation that changes neither says what it does.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UpdateLimits {
    /// Least time between two changes of one address family of one host.
    pub min_change_interval_secs: u64,
    /// This many `nochg` answers for one host and family within
    /// `nochg_window_secs` lock the host for `lock_secs`.
    pub nochg_limit: u32,
    pub nochg_window_secs: u64,
    pub lock_secs: u64,
    /// Failed authentications from one source within the window block that
    /// source for `auth_fail_block_secs`.
    pub auth_fail_limit: u32,
    pub auth_fail_window_secs: u64,
    pub auth_fail_block_secs: u64,
}

impl Default for UpdateLimits {
    fn default() -> Self {
        Self {
            min_change_interval_secs: 10,
            nochg_limit: 10,
            nochg_window_secs: 600,
            lock_secs: 900,
            auth_fail_limit: 10,
            auth_fail_window_secs: 300,
            auth_fail_block_secs: 900,
        }
    }
}
