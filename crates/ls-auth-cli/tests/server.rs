//! `ls-auth` against hostile servers on real sockets: what it prints, and where its credentials go.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "a-test-secret-key-of-at-least-32-bytes!";
const NOW: i64 = 1_700_000_000;
const LEGACY: &str = "0123456789abcdef0123456789abcdef01234567";
/// What a hostile server or token puts in its text: OSC 52 (writes the clipboard), a screen
/// clear, a C1 CSI, a right-to-left override, a newline that would forge an output line.
const HOSTILE: &str =
    "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}evil\nFORGED: a line of its own";

/// The CLI, with nothing from this environment that would change where it connects.
fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ls-auth"));
    for var in [
        "LS_AUTH_SECRET",
        "LABEL_STUDIO_URL",
        "LABEL_STUDIO_API_KEY",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn offline(args: &[&str]) -> String {
    let o = bin()
        .env("LS_AUTH_SECRET", KEY)
        .args(["--now", &NOW.to_string()])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    text(&o.stdout).trim().to_owned()
}

fn pat(user: &str) -> String {
    offline(&["mint-pat", "--user-id", user])
}

/// One request as a server read it.
#[derive(Debug, Clone)]
struct Request {
    head: String,
    body: String,
}

impl Request {
    fn path(&self) -> &str {
        self.head.split(' ').nth(1).unwrap_or("")
    }
}

/// Reads one HTTP/1.1 request (head and Content-Length body), or what arrived before the
/// timeout.
fn read_request(stream: &mut TcpStream) -> Request {
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = text(&data[..end]);
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return Request {
                    head,
                    body: text(&data[end + 4..end + 4 + length]),
                };
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => {
                return Request {
                    head: String::from_utf8_lossy(&data).into_owned(),
                    body: String::new(),
                }
            }
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
}

/// A server on `ip`, answering each request with `answer(request)` (a whole HTTP response) and
/// recording every request.
struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    fn start(ip: IpAddr, answer: impl Fn(&Request) -> String + Send + 'static) -> Server {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let request = read_request(&mut stream);
                record.lock().unwrap().push(request.clone());
                let _ = stream.write_all(answer(&request).as_bytes());
            }
        });
        Server { addr, seen }
    }

    fn loopback(answer: impl Fn(&Request) -> String + Send + 'static) -> Server {
        Server::start(IpAddr::from([127, 0, 0, 1]), answer)
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What it received, once the client that may still be sending has had time to.
    fn received(&self) -> Vec<Request> {
        std::thread::sleep(Duration::from_millis(300));
        self.seen.lock().unwrap().clone()
    }
}

fn response(status: u16, extra_headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status} X\r\n{extra_headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Runs a server command with the API key in `LABEL_STUDIO_API_KEY`.
fn against(url: &str, key: &str, args: &[&str]) -> Output {
    bin()
        .env("LABEL_STUDIO_API_KEY", key)
        .args(["--now", &NOW.to_string()])
        .args(args)
        .args(["--url", url, "--timeout", "5"])
        .output()
        .unwrap()
}

/// No character a terminal acts on: C0 but newline, DEL, C1, bidi controls.
fn assert_inert(what: &str, out: &[u8]) {
    let out = text(out);
    let bad = out.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(
                c,
                '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
            )
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    });
    assert_eq!(bad, None, "{what} printed a raw control character: {out:?}");
    assert!(
        !out.lines().any(|l| l.starts_with("FORGED")),
        "{what} let a server forge a line: {out}"
    );
}

/// A Label Studio that knows its version, refuses every key with `detail`, and answers
/// `whoami` with `user` once a key gets through.
fn hostile_server(detail: &str) -> Server {
    let refusal = serde_json::json!({ "detail": detail }).to_string();
    Server::loopback(move |r| match r.path() {
        "/api/version/" => response(200, "", r#"{"release":"1.23.2"}"#),
        _ => response(401, "", &refusal),
    })
}

#[test]
fn server_text_is_printed_escaped() {
    let server = hostile_server(HOSTILE);
    let pat = pat("7");
    for args in [
        &["whoami"][..],
        &["doctor"],
        &["token", "list"],
        &["token", "create"],
    ] {
        let o = against(&server.url(), &pat, args);
        assert_inert(&format!("{args:?} stdout"), &o.stdout);
        assert_inert(&format!("{args:?} stderr"), &o.stderr);
        let all = text(&o.stdout) + &text(&o.stderr);
        assert!(all.contains(r"\x1b]52;c;"), "{args:?}: {all}");
    }
    let o = against(&server.url(), LEGACY, &["whoami"]);
    assert_inert("whoami (legacy) stderr", &o.stderr);

    // --json stays JSON, with the server's text intact inside it.
    let o = against(&server.url(), &pat, &["doctor", "--json"]);
    assert_inert("doctor --json", &o.stdout);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let steps = report["steps"].to_string();
    assert!(steps.contains(r"\u001b]52;c;"), "{steps}");
    let exchange = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "exchange")
        .unwrap();
    assert!(exchange["detail"].as_str().unwrap().contains(HOSTILE));
}

#[test]
fn a_successful_answer_is_printed_escaped_too() {
    let access = offline(&["refresh", &pat("7")]);
    let answer = serde_json::json!({ "access": access }).to_string();
    let user =
        serde_json::json!({ "id": HOSTILE, "email": HOSTILE, "first_name": HOSTILE }).to_string();
    let server = Server::loopback(move |r| match r.path() {
        "/api/version/" => response(200, "", r#"{"release":"1.23.2"}"#),
        "/api/token/refresh/" => response(200, "", &answer),
        _ => response(200, "", &user),
    });
    let o = against(&server.url(), &pat("7"), &["whoami"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_inert("whoami", &o.stdout);
    let o = against(&server.url(), &pat("7"), &["whoami", "--json"]);
    assert_inert("whoami --json", &o.stdout);
    let user: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(user["email"], HOSTILE);
    let o = against(&server.url(), &pat("7"), &["doctor"]);
    assert_inert("doctor", &o.stdout);
}

#[test]
fn token_claims_are_printed_escaped() {
    // An unverified user_id, as doctor and inspect show it.
    let hostile = pat(HOSTILE);
    let server = hostile_server("Token is invalid");
    for args in [&["doctor"][..], &["doctor", "--json"]] {
        let o = against(&server.url(), &hostile, args);
        assert_inert(&format!("{args:?}"), &o.stdout);
        assert_inert(&format!("{args:?}"), &o.stderr);
    }
    for args in [&["inspect"][..], &["inspect", "--json"]] {
        let o = bin()
            .args(args)
            .arg(&hostile)
            .args(["--now", &NOW.to_string()])
            .output()
            .unwrap();
        assert!(o.status.success());
        assert_inert(&format!("{args:?}"), &o.stdout);
        if args.len() == 2 {
            let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(d["claims"]["user_id"], HOSTILE);
        }
    }
    let access = offline(&["refresh", &hostile]);
    let o = bin()
        .env("LS_AUTH_SECRET", KEY)
        .args([
            "--now",
            &NOW.to_string(),
            "header",
            &format!("Bearer {access}"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_inert("header", &o.stdout);
}

/// An address of this machine that is not loopback, if it has one.
fn non_loopback_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn cleartext_http_to_another_host_needs_the_flag() {
    let pat = pat("7");
    // Not routable: without the refusal the CLI would wait for the timeout.
    let started = Instant::now();
    let o = against("http://10.255.255.1:8080", &pat, &["whoami"]);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("--allow-insecure-http") && err.contains("clear text"),
        "{err}"
    );
    let o = bin()
        .env("LABEL_STUDIO_API_KEY", &pat)
        .env("LABEL_STUDIO_URL", "http://10.255.255.1:8080")
        .args(["doctor", "--timeout", "5"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));

    // A listener on this machine's network address: the key reaches it only with the flag.
    let Some(ip) = non_loopback_ip() else {
        eprintln!("no non-loopback address: the listener half is skipped");
        return;
    };
    let listener = Server::start(ip, |_| response(401, "", r#"{"detail":"no"}"#));
    let o = against(&listener.url(), &pat, &["whoami"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let received = listener.received();
    assert!(received.is_empty(), "{received:?}");
    let o = against(&listener.url(), &pat, &["whoami", "--allow-insecure-http"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let received = listener.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(received[0].body.contains(&pat));
}

#[test]
fn loopback_http_needs_no_flag() {
    let server = hostile_server("no");
    for url in [server.url(), server.url().replace("127.0.0.1", "localhost")] {
        let o = against(&url, &pat("7"), &["whoami"]);
        assert_eq!(o.status.code(), Some(1), "{url}: {}", text(&o.stderr));
    }
}

/// Every redirect status, for the refresh (a PAT in the body) and for a request carrying a
/// legacy key in its header: the other origin receives nothing, and the error names its origin.
#[test]
fn redirects_are_never_followed() {
    let pat = pat("7");
    for status in [301, 302, 303, 307, 308] {
        let listener = Server::loopback(|_| response(200, "", r#"{"access":"x","id":1}"#));
        let target = format!("{}/steal?x=1", listener.url());
        let location = format!("Location: {target}\r\n");
        let server = Server::loopback(move |r| match r.path() {
            "/api/version/" => response(200, "", r#"{"release":"1.23.2"}"#),
            _ => response(status, &location, ""),
        });
        for key in [pat.as_str(), LEGACY] {
            let o = against(&server.url(), key, &["whoami"]);
            let err = text(&o.stderr);
            let received = listener.received();
            assert!(
                received.is_empty(),
                "{status}: the other origin received {received:?}"
            );
            assert_eq!(o.status.code(), Some(1), "{status}: {err}");
            assert!(
                err.contains(&format!("redirect to {}", listener.url())),
                "{status}: {err}"
            );
            assert!(!err.contains("/steal"), "{status}: {err}");
        }
        let o = against(&server.url(), &pat, &["doctor"]);
        let out = text(&o.stdout);
        assert!(listener.received().is_empty(), "{status}: doctor");
        assert!(
            out.contains(&listener.url()) && !out.contains("/steal"),
            "{out}"
        );
        // A redirect to the server's own origin is not followed either.
        drop(server);
    }
}

#[test]
fn tokens_come_from_a_file_or_standard_input() {
    let pat = pat("11");
    let dir = std::env::temp_dir().join(format!("ls-auth-cli-server-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pat");
    std::fs::write(&file, format!("{pat}\n")).unwrap();
    let file = file.to_str().unwrap();
    let secret = |args: &[&str], stdin: Option<&str>| {
        let mut child = bin()
            .env("LS_AUTH_SECRET", KEY)
            .args(["--now", &NOW.to_string()])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        // A command that reads a file may exit before reading its standard input.
        let _ = input.write_all(stdin.unwrap_or("").as_bytes());
        drop(input);
        child.wait_with_output().unwrap()
    };
    for args in [
        &["verify", "--kind", "refresh", "--token-file", file][..],
        &["verify", "--kind", "refresh", "-"],
        &["inspect", "--json", "--token-file", file],
        &["inspect", "--json", "-"],
    ] {
        let o = secret(args, Some(&format!("{pat}\n")));
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let user = v.get("user_id").or_else(|| v["claims"].get("user_id"));
        assert_eq!(user.unwrap(), "11", "{args:?}");
    }
    for args in [
        &["refresh", "--token-file", file][..],
        &["rotate", "--token-file", file],
    ] {
        let o = secret(args, None);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
    }
    std::fs::write(dir.join("header"), format!("Bearer {pat}\n")).unwrap();
    let o = secret(
        &[
            "header",
            "--token-file",
            dir.join("header").to_str().unwrap(),
        ],
        None,
    );
    assert!(text(&o.stdout).contains("wrong_token_type"), "{o:?}");
    std::fs::write(dir.join("legacy"), LEGACY).unwrap();
    let o = secret(
        &[
            "legacy",
            "check",
            "--token-file",
            dir.join("legacy").to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));

    // Both, neither, or a missing file: usage errors.
    for args in [
        &["verify", "--token-file", file, &pat][..],
        &["verify"],
        &["verify", "--token-file", "/nonexistent/pat"],
    ] {
        let o = secret(args, None);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(!text(&o.stderr).contains(&pat));
    }

    // --help says why.
    let help = text(&bin().args(["verify", "--help"]).output().unwrap().stdout);
    assert!(
        help.contains("--token-file") && help.contains("ps"),
        "{help}"
    );
    let help = text(&bin().arg("--help").output().unwrap().stdout);
    assert!(
        help.contains("--token-file") && help.contains("history"),
        "{help}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn token_revoke_takes_a_whole_token_from_a_file() {
    let pat = pat("5");
    let server = Server::loopback(|_| response(204, "", ""));
    let file = std::env::temp_dir().join(format!("ls-auth-cli-revoke-{}", std::process::id()));
    std::fs::write(&file, format!("{pat}\n")).unwrap();
    let file_arg = file.to_str().unwrap();
    let o = against(
        &server.url(),
        LEGACY,
        &["token", "revoke", "--token-file", file_arg],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let received = server.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert!(received[0].head.starts_with("POST /api/token/blacklist/"));
    assert!(received[0].body.contains(&pat));
    // Not with a token argument or --this-key as well.
    for extra in ["--this-key", "abc"] {
        let o = against(
            &server.url(),
            LEGACY,
            &["token", "revoke", "--token-file", file_arg, extra],
        );
        assert_eq!(o.status.code(), Some(2), "{extra}: {}", text(&o.stderr));
    }
    std::fs::remove_file(&file).unwrap();
}

#[test]
fn org_show_json_is_the_servers_settings_as_json() {
    let access = offline(&["refresh", &pat("7")]);
    let answer = serde_json::json!({ "access": access }).to_string();
    let settings = serde_json::json!({
        "api_tokens_enabled": true,
        "legacy_api_tokens_enabled": false,
        "note": HOSTILE,
    });
    let body = settings.to_string();
    let server = Server::loopback(move |r| match r.path() {
        "/api/token/refresh/" => response(200, "", &answer),
        _ => response(200, "", &body),
    });
    let o = against(&server.url(), &pat("7"), &["org", "show", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_inert("org show --json", &o.stdout);
    let shown: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(shown, settings);
}

/// A server that signs its access tokens with Ed25519 (ls_auth.contrib.label_studio) and its
/// PATs with its SECRET_KEY: `doctor` judges the secret by the PAT, not the access token.
#[test]
fn doctor_judges_the_secret_by_the_pat_when_access_tokens_are_eddsa() {
    use ls_auth_core::{InMemoryRevocation, Issuer, Keyring, OrgSettings, SigningKey, TokenPolicy};

    let pat = pat("7");
    let ring = Keyring::new(SigningKey::ed25519_seed("k1", &[7u8; 32]).unwrap())
        .with_keys(Keyring::hs256(KEY).unwrap())
        .unwrap();
    let access = Issuer::new(ring, TokenPolicy::default())
        .refresh(
            &pat,
            &OrgSettings::default(),
            &InMemoryRevocation::new(),
            NOW,
        )
        .unwrap();
    assert!(
        access.starts_with("eyJhbGciOiJFZERTQSIs"),
        "an EdDSA header"
    );
    let answer = serde_json::json!({ "access": access }).to_string();
    let server = Server::loopback(move |r| match r.path() {
        "/api/version/" => response(200, "", r#"{"release":"1.23.2"}"#),
        "/api/token/refresh/" => response(200, "", &answer),
        "/api/jwt/settings" => response(
            200,
            "",
            r#"{"api_tokens_enabled":true,"legacy_api_tokens_enabled":false}"#,
        ),
        _ => response(200, "", r#"{"id":7,"email":"u@example.com"}"#),
    });
    let doctor = |secret: &str| {
        bin()
            .env("LABEL_STUDIO_API_KEY", &pat)
            .env("LS_AUTH_SECRET", secret)
            .args(["--now", &NOW.to_string()])
            .args(["doctor", "--url", &server.url(), "--timeout", "5"])
            .output()
            .unwrap()
    };
    let o = doctor(KEY);
    let out = text(&o.stdout);
    assert!(
        out.contains(
            "the PAT verifies with the secret given; the server signs access tokens with Ed25519"
        ),
        "{out}{}",
        text(&o.stderr)
    );
    assert!(!out.contains("FAIL secret"), "{out}");
    let o = doctor("not-the-servers-key-but-at-least-32-bytes");
    assert_eq!(o.status.code(), Some(51), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("this PAT does not verify with the secret given"));
}
