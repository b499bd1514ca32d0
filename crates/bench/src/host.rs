//! What a run's figures depend on besides the code: the machine (cores,
//! processor, memory) and the PostgreSQL server's settings that move the
//! ingest and the alternatives (a server without autovacuum never gathers
//! planner statistics or marks pages all-visible on its own; `fsync` and
//! `synchronous_commit` set what a commit waits for; `shared_buffers` what
//! stays cached). Printed in every run (the machine second, the settings
//! before the ingest's figures), so two runs' figures can be told apart by
//! their hosts.

use sqlx::PgPool;

use crate::stats::proc_field as field;

/// The server settings printed, in this order.
const SETTINGS: [&str; 7] = [
    "server_version",
    "autovacuum",
    "shared_buffers",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "max_wal_size",
];

/// `N cores, <processor>, <memory> GiB` from the standard library and `/proc`
/// (parts that cannot be read are left out).
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut parts = vec![format!("{cores} cores")];
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if let Some(model) = field(&cpuinfo, "model name") {
        parts.push(model.to_string());
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kib = field(&meminfo, "MemTotal").and_then(|value| value.trim_end_matches("kB").trim().parse::<f64>().ok());
    if let Some(kib) = kib {
        parts.push(format!("{:.1} GiB", kib / (1024.0 * 1024.0)));
    }
    parts.join(", ")
}

/// `name value` pairs of the server's [`SETTINGS`], comma-separated.
pub async fn postgres_settings(pool: &PgPool) -> Result<String, sqlx::Error> {
    let mut printed = Vec::with_capacity(SETTINGS.len());
    for name in SETTINGS {
        let value: String = sqlx::query_scalar("SELECT current_setting($1)").bind(name).fetch_one(pool).await?;
        printed.push(format!("{name} {value}"));
    }
    Ok(printed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_fields_are_read_by_name() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Platinum\n";
        assert_eq!(field(cpuinfo, "model name"), Some("Intel(R) Xeon(R) Platinum"));
        assert_eq!(field(cpuinfo, "model"), None);
        assert_eq!(field("MemTotal:       24567890 kB\n", "MemTotal"), Some("24567890 kB"));
    }
}
