//! The console's front door over real HTTP: users made by the command line, sign-in and its
//! failures, lock-out, CSRF, roles, cookies and headers, languages, and the ends of a session.

use crate::harness::{World, unipay};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";

/// A browser: cookies kept by hand (so their attributes can be checked), no redirects followed.
struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    accept_language: &'static str,
    /// Every `Set-Cookie` line received, newest last.
    set_cookies: Vec<String>,
}

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
    took: Duration,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first hidden `csrf` field.
    fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let at = self.body.find(marker).expect("the page has a form") + marker.len();
        self.body[at..].split('"').next().unwrap().to_string()
    }
}

impl Browser {
    fn new(world: &World) -> Browser {
        Browser {
            base: world.server_url.clone(),
            http: world.http.clone(),
            cookies: BTreeMap::new(),
            accept_language: "zh-CN,zh;q=0.9,en;q=0.5",
            set_cookies: Vec::new(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut request = request.header("accept-language", self.accept_language);
        if !cookie.is_empty() {
            request = request.header("cookie", cookie);
        }
        let started = Instant::now();
        let response = request.send().await.unwrap();
        let took = started.elapsed();
        for line in response.headers().get_all("set-cookie") {
            let line = line.to_str().unwrap().to_string();
            let (pair, _) = line.split_once(';').unwrap_or((&line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
            self.set_cookies.push(line);
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Page {
            status,
            headers,
            body,
            took,
        }
    }

    async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/console/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.csrf();
        self.post(
            "/console/login",
            &[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
            ],
        )
        .await
    }

    /// The CSRF token of the signed-in session, from any page with a form.
    async fn session_csrf(&mut self) -> String {
        self.get("/console").await.csrf()
    }
}

/// Restarts the server with a `[console]` section of its own.
async fn restart_with_console(world: &mut World, console: &str) {
    world.kill_server().await;
    let path = world.dir().join("unipay.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    if let Some(at) = config.find("[console]") {
        config.truncate(at);
    }
    config.push_str("[console]\n");
    config.push_str(console);
    std::fs::write(&path, config).unwrap();
    world.start_server().await;
}

/// Proves a user made by the command line signs in and out; a wrong password is refused and
/// audited; the session cookie is HttpOnly and SameSite=Strict (not Secure on plain http on
/// loopback); only the token's hash is stored; the security headers are on every page; and a
/// signed-out session's cookie opens nothing.
pub async fn sign_in_and_out_with_safe_cookies_and_headers(world: &mut World) {
    let created = world.create_console_user("alice", "admin", PASSWORD).await;
    assert_eq!(created["username"], "alice");
    assert_eq!(created["role"], "admin");
    assert_eq!(created["status"], "active");
    let mut browser = Browser::new(world);

    let anonymous = browser.get("/console/payments?status=pending").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        anonymous.location(),
        "/console/login?next=%2Fconsole%2Fpayments%3Fstatus%3Dpending"
    );

    let login = browser.get("/console/login").await;
    let page = &login;
    let csp = page.header("content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.header("x-frame-options"), "DENY");
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(!page.header("referrer-policy").is_empty());
    assert!(!page.body.contains("<script"), "no script on the page");
    assert!(login.body.contains(r#"data-test="sign-in""#));

    let wrong = browser.sign_in("alice", "not the password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains(r#"data-test="flash-error""#));
    assert!(!browser.cookies.contains_key("unipay_console"));
    let unknown = browser.sign_in("nobody", PASSWORD).await;
    assert_eq!(unknown.status, 401);

    let signed = browser.sign_in("alice", PASSWORD).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(signed.location(), "/console");
    let cookie = browser
        .set_cookies
        .iter()
        .rev()
        .find(|c| c.starts_with("unipay_console="))
        .unwrap()
        .clone();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/console"), "{cookie}");
    assert!(cookie.contains("Max-Age="), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http on loopback: {cookie}"
    );
    let token = browser.cookies["unipay_console"].clone();

    // The database knows the session by its hash only.
    let store = world.store().await;
    let by_hash = store
        .console_session(&hex::encode(Sha256::digest(token.as_bytes())))
        .await
        .unwrap();
    assert_eq!(by_hash.unwrap().user.username, "alice");
    assert!(store.console_session(&token).await.unwrap().is_none());
    store.close().await;

    let dashboard = browser.get("/console").await;
    assert_eq!(dashboard.status, 200);
    assert!(
        dashboard
            .body
            .contains(r#"<span data-test="whoami">alice</span>"#)
    );
    assert!(
        dashboard
            .body
            .contains(r#"data-test="kpi-collected-today""#)
    );
    assert!(dashboard.body.contains(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-test="chart-collected""#
    ));
    assert_eq!(dashboard.header("cache-control"), "no-store");
    assert!(
        dashboard
            .header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    let css = browser.get("/console/static/console.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));

    let csrf = dashboard.csrf();
    let out = browser.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert!(out.location().starts_with("/console/login"));
    assert!(!browser.cookies.contains_key("unipay_console"));
    // The old cookie, replayed, opens nothing.
    browser.cookies.insert("unipay_console".into(), token);
    assert_eq!(browser.get("/console").await.status, 303);

    let signins = world.audit_rows("alice", "console.signin").await;
    let outcomes: Vec<&str> = signins.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, vec!["ok", "failed"], "newest first");
    assert!(signins.iter().all(|r| r.from_address == "127.0.0.1"));
    assert_eq!(world.audit_rows("nobody", "console.signin").await.len(), 1);
    assert_eq!(world.audit_rows("alice", "console.signout").await.len(), 1);
}

/// Proves failed sign-ins are answered more slowly each time, lock the account after the
/// configured number (audited as a lock-out), refuse even the right password while locked,
/// and let it in again once the lock has run out.
pub async fn repeated_failures_slow_down_and_lock_the_account(world: &mut World) {
    restart_with_console(
        world,
        "max_failed_signins = 3\nlockout_s = 3\nfailure_delay_ms = 200\nmax_failure_delay_ms = 2000\n",
    )
    .await;
    world.create_console_user("bob", "operator", PASSWORD).await;
    let mut browser = Browser::new(world);
    let first = browser.sign_in("bob", "wrong 1").await;
    let second = browser.sign_in("bob", "wrong 2").await;
    let third = browser.sign_in("bob", "wrong 3").await;
    for page in [&first, &second, &third] {
        assert_eq!(page.status, 401);
        assert!(page.body.contains(r#"data-test="flash-error""#));
    }
    assert!(first.took >= Duration::from_millis(200), "{:?}", first.took);
    assert!(
        second.took >= Duration::from_millis(400),
        "{:?}",
        second.took
    );
    assert!(third.took >= Duration::from_millis(800), "{:?}", third.took);
    assert!(!first.body.contains("锁定"));
    assert!(third.body.contains("锁定"), "the third failure locks");

    let locked = browser.sign_in("bob", PASSWORD).await;
    assert_eq!(locked.status, 401, "locked even with the right password");
    assert!(locked.body.contains("锁定"));
    assert!(!browser.cookies.contains_key("unipay_console"));
    let lockouts = world.audit_rows("bob", "console.signin.lockout").await;
    assert_eq!(lockouts.len(), 1);
    assert_eq!(lockouts[0].outcome, "locked");
    let outcomes: Vec<String> = world
        .audit_rows("bob", "console.signin")
        .await
        .into_iter()
        .map(|r| r.outcome)
        .collect();
    assert_eq!(outcomes, vec!["locked", "failed", "failed", "failed"]);

    // The lock runs out by the server's clock, moved past it rather than slept through.
    world.advance_clock(3_200).await;
    let after = browser.sign_in("bob", PASSWORD).await;
    assert_eq!(after.status, 303, "the lock runs out");
    assert!(browser.cookies.contains_key("unipay_console"));
    // The count started over: one failure does not lock again.
    let mut other = Browser::new(world);
    assert!(
        !other
            .sign_in("bob", "wrong again")
            .await
            .body
            .contains("锁定")
    );
}

/// Proves a form without its CSRF token, or with another one, is refused with 403, audited,
/// and changes nothing, on the sign-in form as on a signed-in form; the right token works.
pub async fn forms_without_the_right_csrf_token_change_nothing(world: &mut World) {
    world.create_console_user("carol", "admin", PASSWORD).await;
    let mut browser = Browser::new(world);

    browser.get("/console/login").await;
    let before = world.row_counts().await;
    let no_token = browser
        .post(
            "/console/login",
            &[("username", "carol"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(no_token.status, 403);
    assert!(!browser.cookies.contains_key("unipay_console"));
    // Its audit row, and no session nor anything else.
    world
        .assert_stored(&before, &[("audit_log", 1)], "a sign-in without its token")
        .await;

    assert_eq!(browser.sign_in("carol", PASSWORD).await.status, 303);
    let csrf = browser.session_csrf().await;
    let new_user = [
        ("username", "mallory"),
        ("role", "admin"),
        ("password", "a long enough password"),
    ];
    let before = world.row_counts().await;
    let missing = browser.post("/console/admin/users", &new_user).await;
    assert_eq!(missing.status, 403);
    assert!(missing.body.contains(r#"data-test="flash-error""#));
    let mut wrong = new_user.to_vec();
    wrong.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_eq!(
        browser.post("/console/admin/users", &wrong).await.status,
        403
    );
    world
        .assert_stored(
            &before,
            &[("audit_log", 2)],
            "forms without the right token",
        )
        .await;
    // Another session's token is as wrong as a made-up one.
    world.create_console_user("dave", "admin", PASSWORD).await;
    let mut other = Browser::new(world);
    other.sign_in("dave", PASSWORD).await;
    let others_token = other.session_csrf().await;
    let mut foreign = new_user.to_vec();
    foreign.push(("csrf", &others_token));
    let before = world.row_counts().await;
    assert_eq!(
        browser.post("/console/admin/users", &foreign).await.status,
        403
    );
    // Sign-out needs the token too.
    assert_eq!(browser.post("/console/logout", &[]).await.status, 403);
    assert_eq!(browser.get("/console").await.status, 200, "still signed in");
    world
        .assert_stored(
            &before,
            &[("audit_log", 2)],
            "another session's token, and a sign-out without one",
        )
        .await;

    let refusals = world.audit_rows("carol", "console.csrf").await;
    assert_eq!(refusals.len(), 4);
    assert!(refusals.iter().all(|r| r.outcome == "refused"));
    assert_eq!(world.audit_rows("carol", "console.signin").await.len(), 1);
    assert_eq!(world.audit_rows("", "console.csrf").await.len(), 5);

    let mut right = new_user.to_vec();
    right.push(("csrf", &csrf));
    let created = browser.post("/console/admin/users", &right).await;
    assert_eq!(created.status, 303);
    assert_eq!(
        created.location(),
        "/console/admin/users?ok=flash.user_created"
    );
    let store = world.store().await;
    assert_eq!(
        store
            .get_console_user("mallory")
            .await
            .unwrap()
            .unwrap()
            .role,
        "admin"
    );
    store.close().await;
    assert_eq!(
        world.audit_rows("carol", "console.user.create").await.len(),
        1
    );
}

/// Proves an auditor reads but cannot act: a POST answers 403, changes nothing and writes
/// `console.forbidden`; the admin-only users page is refused the same way.
pub async fn an_auditor_reads_but_cannot_act(world: &mut World) {
    world.create_console_user("erin", "auditor", PASSWORD).await;
    let mut browser = Browser::new(world);
    assert_eq!(browser.sign_in("erin", PASSWORD).await.status, 303);
    assert_eq!(browser.get("/console").await.status, 200);
    assert_eq!(browser.get("/console/audit").await.status, 200);
    let csrf = browser.session_csrf().await;
    let before = world.row_counts().await;

    let post = browser
        .post(
            "/console/admin/users",
            &[
                ("username", "eve"),
                ("role", "admin"),
                ("password", "a long enough password"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(post.status, 403);
    assert!(post.body.contains(r#"data-test="flash-error""#));
    let disable = browser
        .post("/console/admin/users/erin/disable", &[("csrf", &csrf)])
        .await;
    assert_eq!(disable.status, 403);
    assert_eq!(browser.get("/console/admin/users").await.status, 403);
    let nav = browser.get("/console").await;
    assert!(
        !nav.body.contains("/console/admin/users"),
        "no link to what it may not open"
    );

    // Each refusal audited, and nothing else stored.
    world
        .assert_stored(&before, &[("audit_log", 3)], "an auditor's actions")
        .await;
    let store = world.store().await;
    assert!(
        store
            .get_console_user("erin")
            .await
            .unwrap()
            .unwrap()
            .is_active()
    );
    store.close().await;
    let forbidden = world.audit_rows("erin", "console.forbidden").await;
    assert_eq!(forbidden.len(), 3);
    assert!(forbidden.iter().all(|r| r.outcome == "forbidden"));
    assert!(forbidden.iter().any(|r| r.target == "eve"));

    // The audit page shows it, filtered.
    let page = browser
        .get("/console/audit?actor=erin&action=console.forbidden")
        .await;
    assert_eq!(page.body.matches(r#"data-test="audit-row""#).count(), 3);
    assert!(page.body.contains(r#"data-action="console.forbidden""#));
}

/// Proves the language follows the browser, then the `lang` cookie set by the switch links,
/// which come back only to console pages.
pub async fn language_from_the_browser_and_switchable(world: &mut World) {
    world
        .create_console_user("frank", "finance", PASSWORD)
        .await;
    let mut browser = Browser::new(world);
    browser.accept_language = "en-GB,en;q=0.9";
    let english = browser.get("/console/login").await;
    assert!(english.body.contains(r#"<html lang="en">"#));
    assert!(english.body.contains(">Sign in</button>"));
    browser.accept_language = "zh-CN,zh;q=0.9";
    let chinese = browser.get("/console/login").await;
    assert!(chinese.body.contains(r#"<html lang="zh-CN">"#));
    assert!(chinese.body.contains(">登录</button>"));
    assert!(chinese.body.contains(r#"data-test="lang-en""#));

    let on_login = browser
        .get("/console/lang/en?back=%2Fconsole%2Flogin%3Fnext%3D%252Fconsole%252Faudit")
        .await;
    assert_eq!(
        on_login.location(),
        "/console/login?next=%2Fconsole%2Faudit"
    );
    browser.cookies.remove("lang");
    assert_eq!(browser.sign_in("frank", PASSWORD).await.status, 303);
    let switched = browser
        .get("/console/lang/en?back=%2Fconsole%2Faudit")
        .await;
    assert_eq!(switched.status, 303);
    assert_eq!(switched.location(), "/console/audit");
    let cookie = browser.set_cookies.last().unwrap();
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"));
    let audit = browser.get("/console/audit").await;
    assert!(
        audit.body.contains("<h1>Audit log</h1>"),
        "the cookie beats the browser"
    );
    let back = browser
        .get("/console/lang/zh-CN?back=https%3A%2F%2Fevil.example")
        .await;
    assert_eq!(back.location(), "/console", "never back to another site");
    assert!(
        browser
            .get("/console/audit")
            .await
            .body
            .contains("<h1>审计日志</h1>")
    );
}

/// Proves a session ends when unused for the idle time, at its absolute end however busy,
/// and when its user is disabled from the command line. Time passes on the server's clock,
/// moved ahead by the test: no sleep, so a slow machine can neither end a session early nor
/// keep one alive.
pub async fn sessions_end_idle_absolutely_and_when_disabled(world: &mut World) {
    // Margins of 10 s and more of real time between what must hold and what must not.
    const IDLE_S: u32 = 30;
    const ABSOLUTE_S: u32 = 55;
    // Steps well within the idle time: a session in use through them stays alive.
    const STEP_S: u32 = 15;
    restart_with_console(
        world,
        &format!("idle_timeout_s = {IDLE_S}\nabsolute_timeout_s = {ABSOLUTE_S}\n"),
    )
    .await;
    world
        .create_console_user("grace", "operator", PASSWORD)
        .await;
    let mut browser = Browser::new(world);

    browser.sign_in("grace", PASSWORD).await;
    assert_eq!(browser.get("/console").await.status, 200);
    world.advance_clock((IDLE_S + 1) * 1_000).await;
    let idle = browser.get("/console").await;
    assert_eq!(idle.status, 303, "ended after {IDLE_S} s unused");
    assert!(idle.location().starts_with("/console/login"));

    browser.sign_in("grace", PASSWORD).await;
    let mut in_use_s = 0;
    let ended_after_s = loop {
        if browser.get("/console").await.status != 200 {
            break in_use_s;
        }
        assert!(in_use_s <= 2 * ABSOLUTE_S, "the session ends while in use");
        world.advance_clock(STEP_S * 1_000).await;
        in_use_s += STEP_S;
    };
    // Used every 15 s it outlived the idle time, and ended at the first use past 55 s.
    assert_eq!(
        ended_after_s,
        ABSOLUTE_S.div_ceil(STEP_S) * STEP_S,
        "in use, it lasts until its absolute end"
    );

    browser.sign_in("grace", PASSWORD).await;
    assert_eq!(browser.get("/console").await.status, 200);
    let output = unipay()
        .args(["admin", "disable-user", "--database-url", &world.db_url()])
        .args(["--username", "grace", "--json"])
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        browser.get("/console").await.status,
        303,
        "disabled: signed out"
    );
    assert_eq!(browser.sign_in("grace", PASSWORD).await.status, 401);
    let disabled = world.audit_rows("", "console.user.disable").await;
    assert_eq!(disabled.len(), 1);
    assert!(disabled[0].actor.starts_with("cli:"));
    assert_eq!(disabled[0].target, "grace");
}

/// Proves an admin manages users on the users page: create, change role, disable, enable;
/// each change audited, bad input refused with a message, and no admin can lock themselves out.
pub async fn an_admin_manages_users(world: &mut World) {
    world.create_console_user("heidi", "admin", PASSWORD).await;
    let mut browser = Browser::new(world);
    browser.sign_in("heidi", PASSWORD).await;
    let csrf = browser.session_csrf().await;
    let create = |name: &'static str, password: &'static str| {
        [
            ("username", name),
            ("role", "operator"),
            ("password", password),
        ]
    };
    let mut fields = create("ivan", "a long enough password").to_vec();
    fields.push(("csrf", &csrf));
    assert_eq!(
        browser
            .post("/console/admin/users", &fields)
            .await
            .location(),
        "/console/admin/users?ok=flash.user_created"
    );
    let mut short = create("judy", "short").to_vec();
    short.push(("csrf", &csrf));
    let refused = browser.post("/console/admin/users", &short).await;
    assert_eq!(
        refused.location(),
        "/console/admin/users?error=flash.user_bad_password"
    );
    let shown = browser.get(refused.location()).await;
    assert!(shown.body.contains(r#"data-test="flash-error""#));
    assert!(
        browser
            .post("/console/admin/users", &fields)
            .await
            .location()
            .ends_with("error=flash.user_taken")
    );

    let role = browser
        .post(
            "/console/admin/users/ivan/role",
            &[("role", "finance"), ("csrf", &csrf)],
        )
        .await;
    assert!(role.location().ends_with("ok=flash.user_role_changed"));
    let own = browser
        .post("/console/admin/users/heidi/disable", &[("csrf", &csrf)])
        .await;
    assert!(own.location().ends_with("error=flash.not_self"));
    // Disabling goes through a page that says what will happen, then posts.
    let confirm = browser.get("/console/admin/users/ivan/disable").await;
    assert_eq!(confirm.status, 200);
    assert!(
        confirm
            .body
            .contains(r#"action="/console/admin/users/ivan/disable""#)
    );
    browser
        .post("/console/admin/users/ivan/disable", &[("csrf", &csrf)])
        .await;
    let list = browser.get("/console/admin/users").await;
    assert!(
        list.body
            .contains(r#"data-id="ivan" data-role="finance" data-status="disabled""#)
    );
    let mut ivan = Browser::new(world);
    assert_eq!(
        ivan.sign_in("ivan", "a long enough password").await.status,
        401
    );
    browser
        .post("/console/admin/users/ivan/enable", &[("csrf", &csrf)])
        .await;
    assert_eq!(
        ivan.sign_in("ivan", "a long enough password").await.status,
        303
    );

    // Ivan changes his own password: the current one is proved, the new one typed twice; then
    // every session of his ends and the sign-in page says why.
    let ivan_csrf = ivan.session_csrf().await;
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        [("current", current), ("password", new), ("repeat", repeat)]
    };
    let mut wrong = change(
        "not my password",
        "another long password",
        "another long password",
    )
    .to_vec();
    wrong.push(("csrf", &ivan_csrf));
    assert!(
        ivan.post("/console/account/password", &wrong)
            .await
            .location()
            .ends_with("error=flash.password_wrong")
    );
    let mut fine = change(
        "a long enough password",
        "another long password",
        "another long password",
    )
    .to_vec();
    fine.push(("csrf", &ivan_csrf));
    assert_eq!(
        ivan.post("/console/account/password", &fine)
            .await
            .location(),
        "/console/login?ok=flash.password_changed"
    );
    assert_eq!(ivan.get("/console").await.status, 303, "signed out");
    assert_eq!(
        ivan.sign_in("ivan", "another long password").await.status,
        303
    );
    // An admin sets a new one for him (he forgot it): his sessions end again.
    let reset = browser
        .post(
            "/console/admin/users/ivan/password",
            &[("password", "set by the admin"), ("csrf", &csrf)],
        )
        .await;
    assert!(reset.location().ends_with("ok=flash.password_reset"));
    assert_eq!(ivan.get("/console").await.status, 303);
    assert_eq!(ivan.sign_in("ivan", "set by the admin").await.status, 303);
    assert_eq!(
        world
            .audit_rows("ivan", "console.user.password")
            .await
            .len(),
        2,
        "the refusal and the change"
    );

    let actions: Vec<(String, String)> = world
        .audit_rows("heidi", "")
        .await
        .into_iter()
        .filter(|r| r.action.starts_with("console.user."))
        .map(|r| (r.action, r.outcome))
        .collect();
    let expected: Vec<(String, String)> = [
        ("console.user.reset", "ok"),
        ("console.user.enable", "ok"),
        ("console.user.disable", "ok"),
        ("console.user.role", "ok"),
        ("console.user.create", "refused"),
        ("console.user.create", "refused"),
        ("console.user.create", "ok"),
    ]
    .iter()
    .map(|(a, o)| (a.to_string(), o.to_string()))
    .collect();
    assert_eq!(actions, expected);
}

/// Proves the dashboard's figures come from the database on either backend (a paid payment,
/// an open one, their merchant and channel account, the charts), and the audit page pages
/// through many entries with its cursor and filters by date.
pub async fn the_dashboard_and_the_audit_log_show_what_happened(world: &mut World) {
    let paid = world.pay("DASH-1", 1234, "server").await;
    world
        .wait_for_payment(&paid.id, |p| p.status == "succeeded")
        .await;
    let open = world.create("DASH-2", 500).await;
    world.checkout(&open).await;
    world.create_console_user("judy", "finance", PASSWORD).await;
    let mut browser = Browser::new(world);
    browser.accept_language = "en";
    browser.sign_in("judy", PASSWORD).await;

    let page = browser.get("/console").await;
    assert_eq!(page.status, 200);
    let kpi = |name: &str| {
        let marker = format!(r#"data-test="kpi-{name}">"#);
        let at = page
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("kpi {name}"))
            + marker.len();
        page.body[at..].split('<').next().unwrap().to_string()
    };
    assert_eq!(kpi("collected-today"), "12.34");
    assert_eq!(kpi("count-today"), "2");
    assert_eq!(kpi("success-rate-today"), "50.0%");
    assert_eq!(kpi("collected-30d"), "12.34");
    assert_eq!(kpi("awaiting-result"), "1");
    assert_eq!(kpi("dead-letters"), "0");
    assert_eq!(kpi("recon-open"), "0");
    assert_eq!(kpi("settlement-review"), "0");
    assert!(
        page.body
            .contains(&format!(r#"<tr data-id="{}">"#, world.channel_account_id))
    );
    assert!(
        page.body
            .contains(&format!(r#"<tr data-id="{}">"#, world.merchant_id))
    );
    // Names beside ids: the merchant's name, the channel account's bank merchant number.
    assert!(page.body.contains(&format!(
        r#"<tr data-id="{}"><td>Tuition office <span class="id">"#,
        world.merchant_id
    )));
    assert!(!page.body.contains(&format!(
        r#"<tr data-id="{}"><td> <span"#,
        world.channel_account_id
    )));
    assert_eq!(page.body.matches(r#"<rect class="bar""#).count(), 30);
    assert!(page.body.contains(r#"data-test="chart-payments""#));

    let store = world.store().await;
    let now = chrono::Utc::now().timestamp_millis();
    for n in 0..60 {
        store
            .record_audit(&unipay_store::audit::AuditEntry {
                actor: "paging",
                action: "test.entry",
                target: &format!("tgt-{n}"),
                detail: "",
                from_address: "test",
                outcome: "ok",
                now_ms: now - (n % 3),
            })
            .await
            .unwrap();
    }
    store.close().await;
    let first = browser.get("/console/audit?actor=paging").await;
    assert_eq!(first.body.matches(r#"data-test="audit-row""#).count(), 50);
    let marker = r#"<a href="/console/audit?"#;
    let at = first.body.find(marker).expect("a next page") + marker.len() - 1;
    // As a browser reads the attribute.
    let next = first.body[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let second = browser.get(&format!("/console/audit{next}")).await;
    assert_eq!(second.body.matches(r#"data-test="audit-row""#).count(), 10);
    assert!(!second.body.contains(r#"data-test="next-page""#));
    let targets = |body: &str| -> Vec<String> {
        body.match_indices(r#"<td class="id">tgt-"#)
            .map(|(at, _)| body[at + 15..].split('<').next().unwrap().to_string())
            .collect()
    };
    let mut all = targets(&first.body);
    all.extend(targets(&second.body));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 60, "every entry once across the pages");

    let old = browser
        .get("/console/audit?actor=paging&from=2000-01-01&to=2000-01-02")
        .await;
    assert_eq!(old.body.matches(r#"data-test="audit-row""#).count(), 0);
    let bad = browser.get("/console/audit?from=yesterday").await;
    assert!(bad.body.contains(r#"data-test="flash-error""#));
}

/// Proves the lock-out message says for how long (in both languages), an admin sees the user
/// locked and lifts the lock at once (audited), and the user then signs in with the right
/// password; after signing out the sign-in page says so, and no console page may be kept by
/// the browser for its Back button.
pub async fn an_admin_unlocks_a_locked_user(world: &mut World) {
    restart_with_console(
        world,
        "max_failed_signins = 2\nlockout_s = 600\nfailure_delay_ms = 10\nmax_failure_delay_ms = 20\n",
    )
    .await;
    world.create_console_user("uma", "admin", PASSWORD).await;
    world.create_console_user("lou", "operator", PASSWORD).await;
    let mut lou = Browser::new(world);
    lou.sign_in("lou", "wrong 1").await;
    let locked = lou.sign_in("lou", "wrong 2").await;
    assert_eq!(locked.status, 401);
    assert!(
        locked.body.contains("10 分钟"),
        "how long, in Chinese: {}",
        locked.body
    );
    lou.accept_language = "en";
    let refused = lou.sign_in("lou", PASSWORD).await;
    assert_eq!(refused.status, 401, "locked even with the right password");
    assert!(
        refused.body.contains("locked for 10 min"),
        "how long, in English: {}",
        refused.body
    );

    let mut uma = Browser::new(world);
    uma.accept_language = "en";
    assert_eq!(uma.sign_in("uma", PASSWORD).await.status, 303);
    let users = uma.get("/console/admin/users").await;
    assert!(
        users.body.contains(r#"data-test="unlock-user""#),
        "the locked user is offered an unlock: {}",
        users.body
    );
    let csrf = uma.session_csrf().await;
    let unlocked = uma
        .post("/console/admin/users/lou/unlock", &[("csrf", &csrf)])
        .await;
    assert_eq!(unlocked.status, 303, "{}", unlocked.body);
    assert!(
        unlocked.location().contains("ok=flash.user_unlocked"),
        "{}",
        unlocked.location()
    );
    assert!(
        !uma.get("/console/admin/users")
            .await
            .body
            .contains(r#"data-test="unlock-user""#)
    );
    let audited = world.audit_rows("uma", "console.user.unlock").await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0].target, "lou");
    assert_eq!(audited[0].outcome, "ok");

    // Lou is let in at once, and signing out is said and leaves nothing to go Back to.
    let signed = lou.sign_in("lou", PASSWORD).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let dashboard = lou.get("/console").await;
    assert_eq!(dashboard.header("cache-control"), "no-store");
    let csrf = dashboard.csrf();
    let out = lou.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    let shown = lou.get(out.location()).await;
    assert!(
        shown.body.contains("You have signed out."),
        "{}",
        shown.body
    );
    assert_eq!(shown.header("cache-control"), "no-store");
    let back = lou.get("/console").await;
    assert_eq!(
        back.status, 303,
        "Back asks the server again, which sends to sign-in"
    );
    assert!(back.location().starts_with("/console/login"));
}
