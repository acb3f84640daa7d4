//! Runs every committed vector, and checks that the harness itself reports
//! wrong vectors instead of passing them.

use std::fs;
use std::path::PathBuf;

use conformance::{Expect, Report, Vector, header_expect, run_dirs, run_vector, to_hex};

fn vectors_dir() -> PathBuf {
    conformance::vectors_dir()
}

#[test]
fn committed_vectors_pass() {
    let report = run_dirs(&[vectors_dir()]);
    assert!(report.all_passed(), "{report}");
    assert!(report.results.len() >= 150, "only {} vectors\n{report}", report.results.len());
}

/// A scratch directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("conformance-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).expect("create temp dir");
        TempDir(dir)
    }

    fn write(&self, rel: &str, text: &str) {
        fs::write(self.0.join(rel), text).expect("write vector");
    }

    fn run(&self) -> Report {
        run_dirs(std::slice::from_ref(&self.0))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const TCP4_LINE: &[u8] = b"PROXY TCP4 1.2.3.4 5.6.7.8 80 443\r\n";

fn header_vector(name: &str, source: &str) -> String {
    format!(
        r#"{{"name":"{name}","source":"test","input_hex":"{}474554","expect":{{"version":1,
        "command":"proxy","transport":"tcp4","source":"{source}","destination":"5.6.7.8:443",
        "tlvs":[],"consumed":35}}}}"#,
        to_hex(TCP4_LINE)
    )
}

fn error_vector(name: &str, input_hex: &str, expect: &str) -> String {
    format!(r#"{{"name":"{name}","source":"test","input_hex":"{input_hex}","expect":{expect}}}"#)
}

#[test]
fn a_right_vector_passes() {
    let dir = TempDir::new("right");
    dir.write("good.json", &header_vector("good", "1.2.3.4:80"));
    let report = dir.run();
    assert_eq!((report.passed(), report.failed()), (1, 0), "{report}");
    assert!(report.to_string().ends_with("conformance: 1 passed, 0 failed"), "{report}");
}

#[test]
fn a_wrong_header_is_reported_with_expected_and_got() {
    let dir = TempDir::new("wrong-header");
    dir.write("sub/wrong.json", &header_vector("wrong-source", "9.9.9.9:80"));
    let report = dir.run();
    assert_eq!((report.passed(), report.failed()), (0, 1), "{report}");
    let failure = report.failures().next().expect("one failure");
    assert_eq!((failure.folder.as_str(), failure.name.as_str()), ("sub", "wrong-source"));
    let why = failure.outcome.as_ref().expect_err("failed");
    assert!(why.contains("9.9.9.9:80") && why.contains("1.2.3.4:80"), "{why}");
    let text = report.to_string();
    assert!(text.contains("FAIL sub/wrong-source"), "{text}");
    assert!(text.ends_with("conformance: 0 passed, 1 failed"), "{text}");
}

#[test]
fn error_codes_must_match_exactly_but_free_text_accepts_any_rejection() {
    let dir = TempDir::new("codes");
    let bad_port = to_hex(b"PROXY TCP4 1.2.3.4 5.6.7.8 80 99999\r\n");
    dir.write(
        "exact.json",
        &error_vector("exact", &bad_port, r#"{"error":"invalid","why":"v1-invalid-port"}"#),
    );
    dir.write(
        "wrong.json",
        &error_vector("wrong-code", &bad_port, r#"{"error":"invalid","why":"v1-invalid-ipv4"}"#),
    );
    dir.write(
        "free.json",
        &error_vector("free-text", &bad_port, r#"{"error":"invalid","why":"port out of range"}"#),
    );
    dir.write(
        "np.json",
        &error_vector("not-proxy-is-not-invalid", "16030100", r#"{"error":"invalid","why":"tls"}"#),
    );
    let report = dir.run();
    let failed: Vec<&str> = report.failures().map(|r| r.name.as_str()).collect();
    assert_eq!(failed, ["not-proxy-is-not-invalid", "wrong-code"], "{report}");
    let text = report.to_string();
    assert!(text.contains("v1-invalid-ipv4") && text.contains("v1-invalid-port"), "{text}");
}

#[test]
fn incomplete_and_not_proxy_are_checked() {
    let dir = TempDir::new("incomplete");
    dir.write("a.json", &error_vector("prefix", "50524f5859", r#"{"error":"incomplete"}"#));
    dir.write(
        "b.json",
        &error_vector(
            "complete-is-not-incomplete",
            &to_hex(TCP4_LINE),
            r#"{"error":"incomplete"}"#,
        ),
    );
    dir.write("c.json", &error_vector("tls", "1603010200", r#"{"error":"not_proxy"}"#));
    dir.write("d.json", &error_vector("empty", "", r#"{"error":"incomplete"}"#));
    let report = dir.run();
    let failed: Vec<&str> = report.failures().map(|r| r.name.as_str()).collect();
    assert_eq!(failed, ["complete-is-not-incomplete"], "{report}");
}

#[test]
fn malformed_files_are_failures_naming_the_path() {
    let dir = TempDir::new("malformed");
    dir.write("broken.json", "{ not json");
    dir.write("odd-hex.json", &error_vector("odd-hex", "505", r#"{"error":"incomplete"}"#));
    dir.write("bad-expect.json", &error_vector("bad-expect", "50", r#"{"version":3}"#));
    dir.write("notes.txt", "not a vector, ignored");
    let report = dir.run();
    assert_eq!((report.passed(), report.failed()), (0, 3), "{report}");
    for failure in report.failures() {
        assert!(failure.path.starts_with(&dir.0), "{}", failure.path.display());
        let why = failure.outcome.as_ref().expect_err("failed");
        assert!(why.starts_with("malformed vector"), "{why}");
    }
}

#[test]
fn a_missing_directory_is_a_failure() {
    let report = run_dirs(&[PathBuf::from("/nonexistent/conformance-vectors")]);
    assert_eq!(report.failed(), 1, "{report}");
    assert!(report.to_string().contains("/nonexistent/conformance-vectors"), "{report}");
}

#[test]
fn header_expect_prints_every_address_form() {
    let line = b"PROXY TCP6 ::ffff:1.2.3.4 2001:db8::1 1 2\r\n";
    let Ok(proxy_hdr::Status::Complete { header, len }) = proxy_hdr::parse(line) else {
        panic!("the line parses");
    };
    let v = header_expect(&header, len);
    assert_eq!(v["source"], "[::ffff:1.2.3.4]:1");
    assert_eq!(v["destination"], "[2001:db8::1]:2");
    assert_eq!(v["transport"], "tcp6");
    assert_eq!(v["consumed"], line.len());

    // PROXY, UNIX stream, paths "/a" and "" (abstract), one NOOP TLV.
    let mut v2 = b"\r\n\r\n\0\r\nQUIT\n\x21\x31\x00\xdc".to_vec();
    v2.extend_from_slice(b"/a");
    v2.resize(16 + 108, 0);
    v2.resize(16 + 216, 0);
    v2.extend_from_slice(&[0x04, 0x00, 0x01, 0xff]);
    let Ok(proxy_hdr::Status::Complete { header, len }) = proxy_hdr::parse(&v2) else {
        panic!("the v2 header parses");
    };
    let v = header_expect(&header, len);
    assert_eq!(v["source"], "unix:/a");
    assert_eq!(v["destination"], "unix:");
    assert_eq!(v["transport"], "unix-stream");
    assert_eq!(v["tlvs"], serde_json::json!([{ "type": 4, "value_hex": "ff" }]));
}

#[test]
fn run_vector_checks_the_round_trip_and_prefixes_of_a_parsed_vector() {
    let vector = Vector {
        name: "inline".into(),
        source: "test".into(),
        input: b"PROXY UNKNOWN whatever\r\nrest".to_vec(),
        expect: Expect::Header(serde_json::json!({
            "version": 1, "command": "proxy", "transport": "unspec", "source": null,
            "destination": null, "tlvs": [], "consumed": 24
        })),
    };
    assert_eq!(run_vector(&vector), Ok(()));
    let wrong = Vector { expect: Expect::Incomplete, ..vector };
    assert!(run_vector(&wrong).is_err());
}
