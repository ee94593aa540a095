//! Hostile files: what the loader refuses to read (special files, files over the limits).

use std::path::{Path, PathBuf};

use vpcsim_topology::{FileError, FileSystem, Limit, Loaded, MemFs, StdFs};

/// A fresh directory under the system's temporary directory.
fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vpcsim-files-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A topology with one bucket whose policy is `policy` (a path as written).
fn with_policy(policy: &str) -> String {
    format!(
        r#"regions:
  us-east-1: {{ azs: [us-east-1a] }}
accounts:
  "111122223333": {{}}
buckets:
  reports:
    account: "111122223333"
    region: us-east-1
    policy: {policy}
"#
    )
}

const POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}"#;

fn codes(loaded: &Loaded) -> Vec<&'static str> {
    loaded.diagnostics.iter().map(|d| d.code).collect()
}

/// Every diagnostic as the user (and `GET /health`) would see it.
fn shown(loaded: &Loaded) -> String {
    loaded
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}\n{}\n",
                d.one_line(&loaded.sources),
                d.render(&loaded.sources, false)
            )
        })
        .collect()
}

// ---- special files and sizes (issue 14, items 3 and 4) ----

#[test]
fn a_directory_is_refused() {
    let dir = tempdir("dir");
    let e = StdFs.read(&dir, Limit::TOPOLOGY).unwrap_err();
    assert!(matches!(e, FileError::NotRegular("a directory")), "{e}");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = tempdir("fifo");
    let fifo = dir.join("t.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    // Before the fix this read blocked forever; run it on a thread to fail instead of hanging.
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(vpcsim_topology::load(&path, &StdFs).map(|_| ()));
    });
    let result = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("reading a FIFO must not block");
    let e = result.unwrap_err();
    assert!(
        matches!(e.source, FileError::NotRegular("a FIFO (named pipe)")),
        "{e}"
    );
    assert!(e.to_string().contains("not a regular file"), "{e}");
    // The same for a policy file.
    let fifo = dir.join("p.json");
    std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    let topo = dir.join("topology.yaml");
    std::fs::write(&topo, with_policy("p.json")).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let loaded = vpcsim_topology::load(&topo, &StdFs).unwrap();
        let _ = tx.send(shown(&loaded));
    });
    let shown = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("reading a FIFO must not block");
    assert!(shown.contains("error[policy-file]"), "{shown}");
    assert!(
        shown.contains("a FIFO (named pipe), not a regular file"),
        "{shown}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn a_device_is_refused_before_reading() {
    // Before the fix `vpcsim validate /dev/zero` read until memory ran out.
    let e = StdFs
        .read(Path::new("/dev/zero"), Limit::TOPOLOGY)
        .unwrap_err();
    assert!(
        matches!(e, FileError::NotRegular("a character device")),
        "{e}"
    );
}

#[test]
fn a_topology_over_the_limit_is_refused_before_reading() {
    let dir = tempdir("big");
    let path = dir.join("big.yaml");
    // Sparse: no disk space, and nothing is read.
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(Limit::TOPOLOGY.bytes + 1).unwrap();
    let e = vpcsim_topology::load(&path, &StdFs).unwrap_err();
    assert!(
        matches!(e.source, FileError::TooLarge { size: Some(n), .. } if n == Limit::TOPOLOGY.bytes + 1),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("more than the 64 MiB limit of a topology file"),
        "{e}"
    );
    // Exactly at the limit is read (and is not YAML: NUL bytes).
    f.set_len(Limit::POLICY.bytes).unwrap();
    assert!(
        StdFs
            .read(&path, Limit::POLICY)
            .is_ok_and(|t| t.len() as u64 == Limit::POLICY.bytes)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_policy_over_the_limit_is_a_located_error() {
    let big = format!(
        "{{\"Statement\": [], \"Id\": \"{}\"}}",
        "x".repeat(Limit::POLICY.bytes as usize)
    );
    let fs = MemFs::default()
        .with("dir/big.json", big)
        .with("dir/ok.json", POLICY);
    let loaded = vpcsim_topology::load_str(Path::new("dir/t.yaml"), with_policy("big.json"), &fs);
    assert_eq!(codes(&loaded), ["policy-file"]);
    assert!(
        shown(&loaded).contains("more than the 1 MiB limit of a policy file"),
        "{}",
        shown(&loaded)
    );
    let loaded = vpcsim_topology::load_str(Path::new("dir/t.yaml"), with_policy("ok.json"), &fs);
    assert!(loaded.is_valid(), "{}", shown(&loaded));
}

/// A file that reports no size (as /proc files do) is still read no further than the limit.
#[cfg(target_os = "linux")]
#[test]
fn a_file_without_a_size_is_read_no_further_than_the_limit() {
    let small = Limit {
        bytes: 8,
        kind: "test file",
    };
    let e = StdFs
        .read(Path::new("/proc/self/status"), small)
        .unwrap_err();
    assert!(matches!(e, FileError::TooLarge { size: None, .. }), "{e}");
}

#[test]
fn text_that_is_not_utf8_is_refused() {
    let dir = tempdir("utf8");
    let path = dir.join("t.yaml");
    std::fs::write(&path, b"name: \xff\xfe\n").unwrap();
    let e = StdFs.read(&path, Limit::TOPOLOGY).unwrap_err();
    assert!(matches!(e, FileError::NotUtf8), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
