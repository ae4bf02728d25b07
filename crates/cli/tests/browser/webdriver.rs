//! A small W3C WebDriver client over reqwest: Debian's chromedriver driving headless Chromium.
//! Just the commands the scenarios use; every wait polls, none sleeps a fixed time.

use base64::Engine;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The key under which W3C WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a wait for an element, a text or a URL polls before the scenario fails.
pub const PATIENCE: Duration = Duration::from_secs(15);
const POLL: Duration = Duration::from_millis(100);

const WINDOW_WIDTH: u32 = 1280;
const WINDOW_HEIGHT: u32 = 900;
/// Taller pages are cut here in pictures.
const MAX_PICTURE_HEIGHT: u32 = 4000;

/// `Err` with the reason when the browser is not installed.
pub fn installed() -> Result<(), String> {
    for binary in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(binary).exists() {
            return Err(format!("{binary} is not installed"));
        }
    }
    Ok(())
}

/// One chromedriver process with one headless Chromium session.
pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
    driver_port: u16,
    session_id: String,
    /// Whether the session has been ended already.
    quit: bool,
    profile: PathBuf,
    _driver: Child,
}

#[derive(Clone, Debug)]
pub struct Element {
    id: String,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds a free port");
    listener.local_addr().expect("local address").port()
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let ready = match http.get(format!("{base}/status")).send().await {
                Ok(response) => response
                    .json::<Value>()
                    .await
                    .is_ok_and(|status| status["value"]["ready"] == json!(true)),
                Err(_) => false,
            };
            if ready {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver is not ready on port {port}"
            );
            tokio::time::sleep(POLL).await;
        }
        let profile = std::env::temp_dir().join(format!(
            "unipay-chromium-{}",
            unipay_core::ids::random_token(12)
        ));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            format!("--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}"),
            "--lang=en-US".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args,
                "prefs": {"intl.accept_languages": "en-US,en"}},
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("session JSON");
        let session_id = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        let browser = Browser {
            http,
            session: format!("{base}/session/{session_id}"),
            driver_port: port,
            session_id,
            quit: false,
            profile,
            _driver: driver,
        };
        browser
            .command(
                reqwest::Method::POST,
                "/timeouts",
                Some(json!({"implicit": 0, "pageLoad": 20_000, "script": 10_000})),
            )
            .await;
        browser
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_command(method.clone(), path, body)
            .await
            .unwrap_or_else(|error| panic!("WebDriver {method} {path}: {error}"))
    }

    /// The command's `value`, or the WebDriver error as text.
    async fn try_command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        // W3C wants a JSON body on every POST, even an empty one.
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let answer: Value = response.json().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(answer["value"].clone())
        } else {
            Err(format!(
                "{status} {}: {}",
                answer["value"]["error"], answer["value"]["message"]
            ))
        }
    }

    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn url(&self) -> String {
        self.command(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Every element matching `css`, now (possibly none).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .command(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str())
                    .map(|id| Element { id: id.to_string() })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        self.wait_for_all(css, 1)
            .await
            .into_iter()
            .next()
            .expect("at least one")
    }

    /// Waits until at least `count` elements match `css`.
    pub async fn wait_for_all(&self, css: &str, count: usize) -> Vec<Element> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let found = self.find_all(css).await;
            if found.len() >= count {
                return found;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{count} × {css:?} never appeared on {}:\n{}",
                    self.url().await,
                    self.body_text().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the current URL satisfies `done`; returns it.
    pub async fn wait_for_url(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let url = self.url().await;
            if done(&url) {
                return url;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("never reached {what}; still at {url}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the page's visible text contains `needle`.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let text = self.body_text().await;
            if text.contains(needle) {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("{needle:?} never showed on {}:\n{text}", self.url().await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The page's visible text (empty while a page is being replaced).
    pub async fn body_text(&self) -> String {
        let Some(body) = self.find_all("body").await.into_iter().next() else {
            return String::new();
        };
        self.try_command(
            reqwest::Method::GET,
            &format!("/element/{}/text", body.id),
            None,
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
    }

    pub async fn click(&self, element: &Element) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/click", element.id),
            Some(json!({})),
        )
        .await;
    }

    /// Finds `css` (waiting for it) and clicks it.
    pub async fn click_on(&self, css: &str) {
        let element = self.find(css).await;
        self.click(&element).await;
    }

    /// Clears the field matching `css` and types `text` into it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/clear", element.id),
            Some(json!({})),
        )
        .await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{}/value", element.id),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub async fn text(&self, element: &Element) -> String {
        self.command(
            reqwest::Method::GET,
            &format!("/element/{}/text", element.id),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub async fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.command(
            reqwest::Method::GET,
            &format!("/element/{}/attribute/{name}", element.id),
            None,
        )
        .await
        .as_str()
        .map(str::to_string)
    }

    /// Runs `script` in the page (WebDriver's own channel, which the page's CSP does not govern).
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// The browser's cookies as a `Cookie` header value, HttpOnly ones included.
    pub async fn cookie_header(&self) -> String {
        let cookies = self.command(reqwest::Method::GET, "/cookie", None).await;
        cookies
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|c| {
                        format!(
                            "{}={}",
                            c["name"].as_str().unwrap_or_default(),
                            c["value"].as_str().unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    }

    /// Sets the window's size (headless: the viewport's).
    pub async fn resize(&self, width: u32, height: u32) {
        self.command(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// The whole page as a PNG: the window is made as tall as the page (up to a limit) for the
    /// picture, then put back.
    pub async fn full_page_png(&self) -> Vec<u8> {
        let height = self
            .execute(
                "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight);",
                json!([]),
            )
            .await
            .as_u64()
            .unwrap_or(u64::from(WINDOW_HEIGHT));
        let height = u32::try_from(height).unwrap_or(MAX_PICTURE_HEIGHT);
        let tall = height.clamp(WINDOW_HEIGHT, MAX_PICTURE_HEIGHT);
        if tall > WINDOW_HEIGHT {
            self.resize(WINDOW_WIDTH, tall).await;
        }
        let png = self.screenshot_png().await;
        if tall > WINDOW_HEIGHT {
            self.resize(WINDOW_WIDTH, WINDOW_HEIGHT).await;
        }
        png
    }

    pub async fn screenshot_png(&self) -> Vec<u8> {
        let encoded = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .expect("screenshot is base64")
    }
}

impl Browser {
    /// Ends the session, which quits Chromium.
    pub async fn quit(mut self) {
        self.command(reqwest::Method::DELETE, "", None).await;
        self.quit = true;
    }
}

impl Drop for Browser {
    /// When a scenario panicked, ends the session all the same: killing chromedriver alone would
    /// leave the browser running. A blocking request suffices here; the answer comes once the
    /// browser is gone, and one read of it is enough (chromedriver keeps the connection open).
    fn drop(&mut self) {
        if !self.quit
            && let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.driver_port))
        {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
                self.session_id
            );
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut answer = [0u8; 1024];
                let _ = stream.read(&mut answer);
            }
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
