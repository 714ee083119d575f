//! URLs against moto's S3 server (the library's test server, `tests/support/s3_server.py`):
//! every command prints for `s3://…` what it prints for the same file on disk; `ls` fetches
//! the directory and headers only and `show --rows` those rows only; credentials come from
//! the environment.

use std::path::Path;

use crate::common::{npy_env, stderr, stdout};
use serde_json::Value;
use test_support::{python_with_s3, run_python, temp_dir, PythonServer};

#[test]
fn urls_read_as_files_do_and_lazily() {
    let python = python_with_s3();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/s3_server.py");
    let server = PythonServer::start(python, &script, &["npy"]);
    let port = server.port;
    let dir = temp_dir();
    let d = dir.path();
    run_python(
        &format!(
            r#"
import boto3, numpy as np
rng = np.random.default_rng(5)
np.savez('ckpt.npz', x=rng.standard_normal((1000, 8)), labels=np.arange(1000) % 7,
         big=np.zeros(2_000_000))
np.savez_compressed('small.npz', w=rng.standard_normal(500).astype('f4'))
np.save('wave.npy', np.sin(np.arange(50_000) / 100))
np.save('parts.npy', np.array([(i, i / 4) for i in range(100)], dtype=[('id', 'i4'), ('m', 'f8')]))
a = np.empty(3, dtype=object); a[:] = ['a', None, 3]
np.save('obj.npy', a)
s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:{port}', region_name='us-east-1',
                  aws_access_key_id='testing', aws_secret_access_key='testing')
for name in ['ckpt.npz', 'small.npz', 'wave.npy', 'parts.npy', 'obj.npy']:
    s3.upload_file(name, 'npy', 'data/' + name)
"#
        ),
        d,
    );
    // Credentials and endpoint from the environment, as the library reads them.
    let env: Vec<(String, String)> = [
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let run = |args: &[&str]| {
        let output = npy_env(d, args, &env);
        assert_eq!(
            output.status.code(),
            Some(0),
            "npy {args:?}: {}",
            stderr(&output)
        );
        stdout(&output)
    };
    let url = |name: &str| format!("s3://npy/data/{name}");
    // The same output from the URL as from the file (names differ only by the prefix).
    let same = |args: &[&str]| {
        let local = run(args);
        let remote_args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(".np") {
                    url(a)
                } else {
                    a.to_string()
                }
            })
            .collect();
        let remote_args: Vec<&str> = remote_args.iter().map(String::as_str).collect();
        let remote = run(&remote_args).replace("s3://npy/data/", "");
        // Tables are aligned to the longer names: compare the cells.
        let cells = |text: &str| -> Vec<Vec<String>> {
            text.lines()
                .map(|l| l.split_whitespace().map(str::to_string).collect())
                .collect()
        };
        assert_eq!(
            cells(&remote),
            cells(&local),
            "npy {args:?}:\n{remote}\n{local}"
        );
    };
    same(&["show", "wave.npy"]);
    same(&["show", "wave.npy", "--rows", "100:110"]);
    same(&["show", "ckpt.npz:x", "--rows", "998:"]);
    same(&["show", "parts.npy", "--rows", "50:53"]);
    same(&["show", "small.npz:w", "--rows", "3:6"]);
    same(&["--allow-pickle", "show", "obj.npy"]);
    same(&["stats", "wave.npy", "ckpt.npz"]);
    same(&["hist", "wave.npy", "--bins", "5"]);
    same(&["diff", "ckpt.npz", "ckpt.npz"]);
    same(&["verify", "ckpt.npz", "small.npz", "wave.npy"]);
    same(&["ls", "wave.npy"]);
    let listing = run(&["ls", &url("ckpt.npz")]);
    let local = run(&["ls", "ckpt.npz"]);
    let body = |text: &str| text.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&listing), body(&local));
    assert!(listing.starts_with("s3://npy/data/ckpt.npz: npz archive, 3 members"));

    // Lazy: ls fetches the directory and three headers, not the 16 MB member.
    let ls: Value = serde_json::from_str(&run(&["--json", "ls", &url("ckpt.npz")])).unwrap();
    let fetched = &ls[0]["fetched"];
    assert!(fetched["requests"].as_u64().unwrap() <= 5, "{fetched}");
    assert!(fetched["bytes"].as_u64().unwrap() < 200_000, "{fetched}");
    // show --rows: the directory (the archive's last 64 KiB), the member's header (4 KiB)
    // and those 80 bytes of rows: not the 16 MB member.
    let shown: Value = serde_json::from_str(&run(&[
        "--json",
        "show",
        &url("ckpt.npz:big"),
        "--rows",
        "1000:1010",
    ]))
    .unwrap();
    let fetched = &shown[0]["fetched"];
    assert!(fetched["bytes"].as_u64().unwrap() < 100_000, "{fetched}");
    assert_eq!(shown[0]["rows"], serde_json::json!([1000, 1010]));

    // Errors: one line naming the URL; object arrays still need the flag.
    for (args, needle) in [
        (vec!["show".to_string(), url("missing.npy")], "missing.npy"),
        (vec!["show".to_string(), url("obj.npy")], "--allow-pickle"),
        (vec!["ls".to_string(), url("missing.npz")], "missing.npz"),
        (
            vec!["verify".to_string(), url("missing.npz")],
            "missing.npz",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = npy_env(d, &args, &env);
        // verify reports a broken file on stdout, the others on stderr.
        let err = stderr(&output) + &stdout(&output);
        assert_ne!(output.status.code(), Some(0), "npy {args:?}");
        assert!(err.contains(needle), "npy {args:?}: {err}");
        assert!(!err.contains("panicked"), "npy {args:?}: {err}");
    }
    drop(server);
}
