//! The serving worker runs with glibc's per-thread cache enlarged (`serve::MALLOC_TUNING`, set in the environment
//! of the process it re-executes itself as): what it allocates no longer mostly takes malloc's slow path. A user's
//! own `GLIBC_TUNABLES` is kept, and a cache size given there wins.

mod common;

use common::*;
use jenzyme_worker::frame::Frame;
use jenzyme_worker::serve::{with_malloc_tuning, MALLOC_TUNING};

/// `GLIBC_TUNABLES` of a serving worker started with `environment`, read once it has answered a ping. glibc (2.36)
/// writes a NUL after each tunable's value as it parses the variable in place, so the entries are joined again here.
fn serving_tunables(environment: &[(&str, &str)]) -> Option<String> {
    let mut worker = Worker::start_with(environment);
    assert_eq!(worker.send(&Frame::new().with("request", "ping")).get("status"), Some("ok"));
    let environ = std::fs::read(format!("/proc/{}/environ", worker.pid())).unwrap();
    let entries: Vec<&[u8]> = environ.split(|&b| b == 0).collect();
    let at = entries.iter().position(|entry| entry.starts_with(b"GLIBC_TUNABLES="))?;
    let mut tunables = vec![String::from_utf8(entries[at][b"GLIBC_TUNABLES=".len()..].to_vec()).unwrap()];
    tunables.extend(
        entries[at + 1..].iter().take_while(|entry| entry.starts_with(b"glibc.")).map(|e| String::from_utf8(e.to_vec()).unwrap()),
    );
    Some(tunables.join(":"))
}

#[test]
fn the_serving_worker_runs_with_the_enlarged_malloc_cache() {
    assert_eq!(serving_tunables(&[]).as_deref(), Some(MALLOC_TUNING));
}

#[test]
fn a_users_tunables_are_kept_beside_it_and_their_own_cache_size_wins() {
    assert_eq!(
        serving_tunables(&[("GLIBC_TUNABLES", "glibc.malloc.perturb=0")]),
        Some(format!("glibc.malloc.perturb=0:{MALLOC_TUNING}"))
    );
    assert_eq!(serving_tunables(&[("GLIBC_TUNABLES", "glibc.malloc.tcache_count=7")]).as_deref(), Some("glibc.malloc.tcache_count=7"));
}

#[test]
fn the_setting_is_added_only_where_it_is_missing() {
    assert_eq!(with_malloc_tuning(None).as_deref(), Some(MALLOC_TUNING));
    assert_eq!(with_malloc_tuning(Some(String::new())).as_deref(), Some(MALLOC_TUNING));
    assert_eq!(with_malloc_tuning(Some(MALLOC_TUNING.to_string())), None);
    // a longer name that merely starts like the setting's is another tunable
    assert_eq!(
        with_malloc_tuning(Some("glibc.malloc.tcache_count_x=1".to_string())).as_deref(),
        Some(&*format!("glibc.malloc.tcache_count_x=1:{MALLOC_TUNING}"))
    );
}
