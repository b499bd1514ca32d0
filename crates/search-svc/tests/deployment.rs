//! The container deployment, checked without a Docker engine: the compose
//! file is validated by a real Compose parser (`docker-compose config`) and
//! must wire the services as documented; the Dockerfile passes hadolint
//! (which also runs ShellCheck on its RUN commands) and builds every binary
//! the workspace has. scripts/test installs both tools.

use std::path::Path;
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn tool(env_name: &str, default: &str) -> String {
    std::env::var(env_name).unwrap_or_else(|_| default.to_string())
}

#[test]
fn compose_file_is_valid_and_wires_the_services_in_order() {
    let compose = tool("BAOKAN_DOCKER_COMPOSE", "docker-compose");
    let output = Command::new(&compose)
        .current_dir(repo())
        .args(["-f", "docker-compose.yml", "config"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {compose} (scripts/test installs it): {e}"));
    let config = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // The resolved file, service by service.
    let service = |name: &str| -> String {
        let start = config.find(&format!("\n  {name}:\n")).unwrap_or_else(|| panic!("service {name}: {config}"));
        let rest = &config[start + 1..];
        let end = rest[3..].find("\n  ").map(|i| i + 3).unwrap_or(rest.len());
        let mut block = rest[..end].to_string();
        // Include the nested lines (indented deeper than the service name).
        for line in rest[end..].lines().skip(1) {
            if line.starts_with("  ") && !line.starts_with("   ") {
                break;
            }
            block.push_str(line);
            block.push('\n');
        }
        block
    };
    let postgres = service("postgres");
    assert!(postgres.contains("pg_isready"), "{postgres}");
    assert!(postgres.contains("pgdata:/var/lib/postgresql/data") || postgres.contains("source: pgdata"));
    let ingest = service("ingest");
    assert!(ingest.contains("- watch") && ingest.contains("- /inbox"), "{ingest}");
    assert!(ingest.contains("condition: service_healthy"), "ingest waits for a healthy postgres: {ingest}");
    let search = service("search");
    assert!(search.contains("- baokan-search") && search.contains("- health"), "{search}");
    assert!(search.contains("50051:50051") || search.contains("published: 50051"), "{search}");
    assert!(search.contains("/var/lib/baokan/index"), "{search}");
    assert!(search.contains("condition: service_healthy"), "{search}");
    assert!(search.contains("BAOKAN_METRICS_LISTEN: 0.0.0.0:9090"), "{search}");
}

#[test]
fn dockerfile_passes_hadolint_and_builds_every_binary() {
    let hadolint = tool("BAOKAN_HADOLINT", "hadolint");
    let output = Command::new(&hadolint)
        .current_dir(repo())
        .args(["--no-color", "Dockerfile"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {hadolint} (scripts/test installs it): {e}"));
    assert!(output.status.success(), "hadolint: {}", String::from_utf8_lossy(&output.stdout));

    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    for binary in ["baokan-ingest", "baokan-search"] {
        assert!(dockerfile.contains(&format!("--bin {binary}")), "the image builds {binary}");
        assert!(dockerfile.contains(&format!("release/{binary}")), "the image ships {binary}");
    }
    let runtime = dockerfile.rsplit("FROM ").next().unwrap();
    assert!(runtime.contains("USER 10001"), "the runtime image runs as a non-root user");
    assert!(dockerfile.contains("cargo chef cook"), "dependencies are built in their own cached layer");
    let ignored = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    assert!(ignored.lines().any(|line| line.trim() == "target"), "build output stays out of the context");
}
