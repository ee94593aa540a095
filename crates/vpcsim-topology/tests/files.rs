//! Hostile files: what the loader refuses to read (special files, files over the limits), where
//! policy files may be (inside the topology's folder), and how little of a file that is not a
//! policy an error may quote.

use std::path::{Path, PathBuf};

use vpcsim_topology::load::EXCERPT_CHARS;
use vpcsim_topology::{FileError, FileSystem, Limit, Loaded, MemFs, StdFs, not_a_policy};

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

/// A secret that must never be printed whole.
const SECRET: &str = "SECRET-0123456789-abcdefghijklmnopqrstuvwxyz-do-not-print";

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

/// The secret's text beyond what an excerpt may show.
fn secret_tail() -> &'static str {
    &SECRET[EXCERPT_CHARS / 2..]
}

// ---- special files and sizes (issue 14, items 3 and 4) ----

#[test]
fn a_directory_is_refused() {
    let dir = tempdir("dir");
    let e = StdFs.read(&dir, Limit::TOPOLOGY).unwrap_err();
    assert!(matches!(e, FileError::NotRegular("a directory")), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
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
            .contains("more than the 256 MiB limit of a topology file"),
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

// ---- policy files stay inside the topology's folder (item 2) ----

#[test]
fn a_policy_path_may_not_leave_the_topology_folder() {
    // The files exist: the paths are refused for where they lead, before anything is read.
    let fs = MemFs::default()
        .with("/etc/secret.json", SECRET)
        .with("top/dir/../secret.json", SECRET)
        .with("top/secret.json", SECRET)
        .with("top/dir/sub/../p.json", POLICY);
    for path in [
        "/etc/secret.json",
        "../secret.json",
        "sub/../../secret.json",
        "./../secret.json",
    ] {
        let loaded = vpcsim_topology::load_str(Path::new("top/dir/t.yaml"), with_policy(path), &fs);
        assert_eq!(codes(&loaded), ["policy-outside-folder"], "{path}");
        let text = shown(&loaded);
        assert!(text.contains("outside the topology's folder"), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
    }
    // `..` that stays inside is fine.
    let loaded = vpcsim_topology::load_str(
        Path::new("top/dir/t.yaml"),
        with_policy("sub/../p.json"),
        &fs,
    );
    assert!(loaded.is_valid(), "{}", shown(&loaded));
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_out_of_the_topology_folder_is_refused() {
    use std::os::unix::fs::symlink;
    let dir = tempdir("symlink");
    let top = dir.join("top");
    std::fs::create_dir_all(top.join("policies")).unwrap();
    std::fs::write(dir.join("secret.txt"), SECRET).unwrap();
    std::fs::write(top.join("policies/real.json"), POLICY).unwrap();
    symlink("../../secret.txt", top.join("policies/link.json")).unwrap();
    symlink("..", top.join("up")).unwrap();
    symlink("real.json", top.join("policies/inside.json")).unwrap();
    for path in ["policies/link.json", "up/secret.txt"] {
        let t = top.join("t.yaml");
        std::fs::write(&t, with_policy(path)).unwrap();
        let loaded = vpcsim_topology::load(&t, &StdFs).unwrap();
        assert_eq!(codes(&loaded), ["policy-outside-folder"], "{path}");
        let text = shown(&loaded);
        assert!(
            text.contains("a symbolic link on the way leads out of it"),
            "{text}"
        );
        assert!(!text.contains("SECRET"), "{text}");
    }
    // A link that stays inside is followed.
    let t = top.join("t.yaml");
    std::fs::write(&t, with_policy("policies/inside.json")).unwrap();
    let loaded = vpcsim_topology::load(&t, &StdFs).unwrap();
    assert!(loaded.is_valid(), "{}", shown(&loaded));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_topology_in_the_working_directory_has_it_as_its_folder() {
    // `vpcsim validate t.yaml`: the folder is the empty path, canonicalized as `.`.
    assert_eq!(
        StdFs.canonicalize(Path::new("")).unwrap(),
        StdFs.canonicalize(Path::new(".")).unwrap()
    );
}

// ---- a file that is not a policy is quoted by an excerpt only (item 2) ----

#[test]
fn a_file_that_is_not_a_policy_is_quoted_by_a_short_excerpt_only() {
    let files = [
        // /etc/shadow-like
        format!("root:$6${SECRET}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"),
        // /proc/self/environ-like: NUL-separated
        format!("HOME=/root\0TOKEN={SECRET}\0PATH=/usr/bin\0"),
        // a key file
        format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{SECRET}\n-----END OPENSSH PRIVATE KEY-----\n"
        ),
        // YAML that is a mapping, but not a policy
        format!("password: {SECRET}\nuser: admin\n"),
        // JSON that is broken, with the secret on the line of the error
        format!("{{\"Statement\": [\n  {{\"Sid\": \"{SECRET}\" \"Effect\": \"Allow\"}}\n]}}"),
        // a list
        format!("- {SECRET}\n"),
        SECRET.to_string(),
    ];
    for text in &files {
        let fs = MemFs::default().with("dir/p.json", text.clone());
        let loaded = vpcsim_topology::load_str(Path::new("dir/t.yaml"), with_policy("p.json"), &fs);
        assert_eq!(codes(&loaded), ["not-a-policy"], "{text:?}");
        let out = shown(&loaded);
        assert!(!out.contains(secret_tail()), "{out}");
        assert!(!out.contains('\0'), "control characters are escaped: {out}");
        // Nothing of the file is kept for rendering either.
        assert!(
            loaded.sources.iter().all(|(_, f)| !f.text.contains(SECRET)),
            "{text:?}"
        );
    }
    let why = not_a_policy(&files[0]).unwrap();
    assert!(
        why.ends_with("; it starts with \"root:$6$SECRET-0…\""),
        "{why}"
    );
    let why = not_a_policy(&files[1]).unwrap();
    assert!(why.contains(r#""HOME=/root\0TOKEN…""#), "{why}");
    let why = not_a_policy(&files[4]).unwrap();
    assert!(
        why.contains("neither JSON nor YAML (line 2, column"),
        "{why}"
    );
    assert_eq!(not_a_policy("").as_deref(), Some("it is empty"));
}

#[test]
fn json_and_yaml_policy_documents_are_diagnosed_in_full() {
    assert_eq!(not_a_policy(POLICY), None);
    assert_eq!(not_a_policy("\u{feff}  {\"Statement\": []}"), None);
    assert_eq!(
        not_a_policy("Version: \"2012-10-17\"\nStatement:\n  - Effect: Allow\n"),
        None
    );
    // A policy document with a mistake keeps its located diagnostic, quoting its own line.
    let fs = MemFs::default().with(
        "dir/p.json",
        r#"{"Statement": [{"Effect": "Permit", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}"#,
    );
    let loaded = vpcsim_topology::load_str(Path::new("dir/t.yaml"), with_policy("p.json"), &fs);
    assert_eq!(codes(&loaded), ["policy-structure"]);
    assert!(
        shown(&loaded).contains("dir/p.json:1:"),
        "{}",
        shown(&loaded)
    );
}
