//! `report.html` in a real browser: Debian's Chromium driven through ChromeDriver (the W3C
//! WebDriver protocol over plain HTTP on loopback), as a learner would use the page: load it
//! from disk, step to the first scale-down, read the tables, step with the keyboard.
//!
//! `.ci/run` installs `chromium` and `chromium-driver` and sets `ROLLSIM_BROWSER_TEST=
//! required`, so in CI a missing browser fails the test; elsewhere it says it was skipped.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WINDOW: (u32, u32) = (1400, 1200);

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// One `read`, tried again when a signal interrupts it (other tests in this process start
/// and reap child processes, and `read` does not retry by itself).
fn read_some(stream: &mut TcpStream, buf: &mut [u8]) -> Result<usize, String> {
    loop {
        match stream.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other.map_err(|e| e.to_string()),
        }
    }
}

/// One HTTP/1.1 exchange with ChromeDriver; the JSON body of its answer.
fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => break other.map_err(|e| e.to_string())?,
        }
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    // ChromeDriver keeps the connection open: read the head, then Content-Length bytes.
    let mut answer = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let head_end = loop {
        let n = read_some(&mut stream, &mut buf)?;
        if n == 0 {
            return Err("connection closed before the answer's head".into());
        }
        answer.extend_from_slice(&buf[..n]);
        if let Some(i) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no Content-Length in {head:?}"))?;
    while answer.len() < head_end + length {
        let n = read_some(&mut stream, &mut buf)?;
        if n == 0 {
            return Err("connection closed inside the answer".into());
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let json = String::from_utf8_lossy(&answer[head_end..head_end + length]);
    serde_json::from_str(&json).map_err(|e| format!("{e}: {json}"))
}

/// A ChromeDriver process and one browser session; both end when it drops.
struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

impl Browser {
    fn start(profile: &Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        while http(port, "GET", "/status", None).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            &format!("--window-size={},{}", WINDOW.0, WINDOW.1),
            &format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"performance": "ALL"}
        }}});
        let answer = http(port, "POST", "/session", Some(&caps)).expect("new session");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_string();
        Browser {
            driver,
            port,
            session,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let answer = http(self.port, method, &path, body.as_ref())
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        if answer["value"].get("error").is_some() {
            panic!("{method} {path}: {answer}");
        }
        answer["value"].clone()
    }

    fn script(&self, js: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
    }

    fn text(&self, css: &str) -> String {
        let js = format!("return document.querySelector({css:?}).innerText;");
        self.script(&js).as_str().unwrap_or_default().to_string()
    }

    fn click(&self, css: &str) {
        let id = self.element(css);
        self.call("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    /// Presses and releases one key (a WebDriver key code such as `\u{E014}`, →).
    fn press(&self, key: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]});
        self.call("POST", "/actions", Some(actions));
    }

    /// Every URL a document loaded from disk asked for, from Chromium's performance log
    /// (the browser's own pages, such as its new-tab page, are not the report's).
    fn requested_urls(&self) -> Vec<String> {
        let log = self.call("POST", "/se/log", Some(json!({"type": "performance"})));
        let mut urls = Vec::new();
        for entry in log.as_array().into_iter().flatten() {
            let Some(message) = entry["message"].as_str() else {
                continue;
            };
            let Ok(m) = serde_json::from_str::<Value>(message) else {
                continue;
            };
            let params = &m["message"]["params"];
            let from_disk = params["documentURL"]
                .as_str()
                .is_some_and(|d| d.starts_with("file://"));
            if m["message"]["method"] == "Network.requestWillBeSent"
                && from_disk
                && let Some(url) = params["request"]["url"].as_str()
            {
                urls.push(url.to_string());
            }
        }
        urls
    }

    /// A screenshot of one element (scrolled into view), whatever the window shows.
    /// A screenshot of one element, taken once it is scrolled into view and the page has
    /// painted two frames since (a capture right after a scroll can catch the old frame).
    fn element_screenshot(&self, css: &str) -> Vec<u8> {
        let js = format!("document.querySelector({css:?}).scrollIntoView({{block: 'center'}});");
        self.script(&js);
        self.call(
            "POST",
            "/execute/async",
            Some(json!({
                "script": "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                "args": []
            })),
        );
        let id = self.element(css);
        let b64 = self.call("GET", &format!("/element/{id}/screenshot"), None);
        decode_base64(b64.as_str().expect("base64 PNG"))
    }

    fn element(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("element id")
            .to_string()
    }

    fn screenshot(&self) -> Vec<u8> {
        let b64 = self.call("GET", "/screenshot", None);
        decode_base64(b64.as_str().expect("base64 PNG"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.session);
        let _ = http(self.port, "DELETE", &path, None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | (u32::from(*d) << (18 - 6 * i)));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

/// Whether this machine can run the test; in CI it must.
fn browser_available() -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    let required = std::env::var("ROLLSIM_BROWSER_TEST").is_ok_and(|v| v == "required");
    assert!(
        present || !required,
        "the browser test is required here but {CHROMIUM} or {CHROMEDRIVER} is missing \
         (apt-get install chromium chromium-driver)"
    );
    if !present {
        eprintln!("browser test skipped: install chromium and chromium-driver to run it");
    }
    present
}

fn write_lesson_report(out: &Path) -> PathBuf {
    let status = Command::new(env!("CARGO_BIN_EXE_rollsim"))
        .args(["run", "--quiet", "--out"])
        .arg(out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("the binary runs");
    assert!(status.success());
    out.join("nginx-lesson/report.html")
}

/// The `kubectl get rs` table at the cursor, as rows of cells.
fn rs_rows(b: &Browser) -> Vec<Vec<String>> {
    let rows = b.script(
        "return Array.from(document.querySelectorAll('#rs-table tbody tr'))\
         .map(r => Array.from(r.cells).map(c => c.textContent));",
    );
    serde_json::from_value(rows).expect("rows of cells")
}

#[test]
fn a_learner_steps_through_the_lesson_report_in_chromium() {
    if !browser_available() {
        return;
    }
    let dir = scratch("lesson");
    let page = write_lesson_report(&dir.join("out"));
    let b = Browser::start(&dir.join("profile"));
    b.call(
        "POST",
        "/url",
        Some(json!({"url": format!("file://{}", page.display())})),
    );
    assert_eq!(b.text("#clock"), "00:00:00.000 / 00:05:45.827");

    // Jump decision by decision to the first scale-down, as a class would.
    let mut clicks = 0;
    while !b
        .text("#explanation-body")
        .contains("scaled down old replica set")
    {
        clicks += 1;
        assert!(clicks < 20, "no scale-down among the first decisions");
        b.click("#next-decision");
    }
    assert_eq!(b.text("#clock"), "00:01:04.841 / 00:05:45.827");
    let why = b.text("#explanation-body");
    assert!(
        why.contains("scaled down old replica set ngx-dep-5b65f9bcc from 4 to 3"),
        "{why}"
    );
    assert!(
        why.contains("at least 4 − 1 = 3 must stay available"),
        "{why}"
    );
    // The ReplicaSets as `kubectl get rs` printed them at that moment (replicasets.csv).
    assert_eq!(
        rs_rows(&b),
        [
            ["ngx-dep-5b65f9bcc", "3", "4", "4", "64s"],
            ["ngx-dep-59cd944776", "1", "0", "0", "0s"]
        ]
    );

    // → steps to the next moment anything changed; ← comes back.
    b.press("\u{E014}");
    let next = b.text("#clock");
    assert!(next.as_str() > "00:01:04.841", "{next}");
    assert!(
        next.starts_with("00:01:0"),
        "one event on, not a jump: {next}"
    );
    b.press("\u{E012}");
    assert_eq!(b.text("#clock"), "00:01:04.841 / 00:05:45.827");
    // PageDown is the next decision; a transcript line moves the cursor to its time.
    b.press("\u{E00F}");
    assert!(
        b.text("#explanation-body")
            .contains("scaled up new replica set")
    );
    b.script(
        "Array.from(document.querySelectorAll('#transcript-lines li'))\
         .find(l => l.textContent.includes('rollout status')).click();",
    );
    assert!(
        b.text("#transcript-lines li.current")
            .contains("rollout status")
    );

    let urls = b.requested_urls();
    assert!(!urls.is_empty(), "the log shows at least the page itself");
    let outside: Vec<&String> = urls
        .iter()
        .filter(|u| !u.starts_with("file://") && !u.starts_with("data:"))
        .collect();
    assert!(outside.is_empty(), "requests left the file: {outside:?}");

    // A link to a moment (`report.html#t=MS`) moves the cursor there.
    b.call(
        "POST",
        "/url",
        Some(json!({"url": format!("file://{}#t=64841", page.display())})),
    );
    assert_eq!(b.text("#clock"), "00:01:04.841 / 00:05:45.827");
    b.script("window.scrollTo(0, 0);");
    let top = b.screenshot();
    std::fs::write(dir.join("report-top.png"), &top).expect("screenshot saved");
    let img = image::load_from_memory(&top).expect("a PNG").to_rgb8();
    assert_eq!(img.width(), WINDOW.0);
    // The parts by structure, each from a screenshot of its own element.
    let explanation = b.element_screenshot("#explanation-body");
    assert!(
        count(&explanation, [255, 251, 230]) > 5_000,
        "the explanation box is shown"
    );
    let nodes = b.element_screenshot("#node-view");
    let available = count(&nodes, [40, 150, 70]);
    assert!(available > 4 * 100, "four available pods ({available} px)");
    assert_eq!(count(&nodes, [150, 205, 140]), 0, "no pod only ready");
    b.script("document.querySelector('figure.chart .chart-box').scrollIntoView();");
    let chart = b.element_screenshot("figure.chart .chart-box");
    std::fs::write(dir.join("report-chart.png"), &chart).expect("screenshot saved");
    check_chart_structure(&chart);
}

fn near(p: &image::Rgb<u8>, c: [u8; 3]) -> bool {
    p.0.iter()
        .zip(c)
        .all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 12)
}

/// Pixels of a PNG within 12 of a colour in every channel.
fn count(png: &[u8], c: [u8; 3]) -> usize {
    let img = image::load_from_memory(png).expect("a PNG").to_rgb8();
    img.pixels().filter(|p| near(p, c)).count()
}

/// A chart by structure: the blue time cursor stands over it, as a long vertical run.
fn check_chart_structure(png: &[u8]) {
    let img = image::load_from_memory(png).expect("a PNG").to_rgb8();
    let blue = |p: &image::Rgb<u8>| p.0[2] > 190 && p.0[0] < 90 && (70..140).contains(&p.0[1]);
    let tallest = (0..img.width())
        .map(|x| {
            let (mut best, mut run) = (0, 0);
            for y in 0..img.height() {
                run = if blue(img.get_pixel(x, y)) {
                    run + 1
                } else {
                    0
                };
                best = best.max(run);
            }
            best
        })
        .max()
        .unwrap_or(0);
    assert!(
        tallest > 300,
        "the time cursor crosses a chart ({tallest} px)"
    );
}
