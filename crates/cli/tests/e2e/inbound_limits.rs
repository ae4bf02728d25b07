//! What anyone can send without credentials, over real HTTP: sign-ins racing the lock-out, a
//! flood of sign-ins or of forged bank messages (limited per address, counted, a bounded
//! sample kept and expired), and an app disabled elsewhere refused at once.

use crate::harness::World;
use std::time::{Duration, Instant};
use unipay_store::audit::AuditEntry;

const PASSWORD: &str = "correct horse battery";

/// The sign-in form's token, which is also its cookie's value (double submit).
async fn login_token(world: &World) -> String {
    let form = world
        .http
        .get(format!("{}/console/login", world.server_url))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let cookie = form.headers()["set-cookie"].to_str().unwrap().to_string();
    let pair = cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_string()
}

struct Answer {
    status: u16,
    body: String,
    took: Duration,
}

/// `POST /console/login`; `token` empty: without the form's token.
async fn sign_in(world: &World, token: &str, username: &str, password: &str) -> Answer {
    post_sign_in(&world.http, &world.server_url, token, username, password).await
}

async fn post_sign_in(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    username: &str,
    password: &str,
) -> Answer {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("username", username),
            ("password", password),
            ("csrf", token),
        ])
        .finish();
    let mut request = http
        .post(format!("{base}/console/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept-language", "en")
        .body(body);
    if !token.is_empty() {
        request = request.header("cookie", format!("unipay_console_login={token}"));
    }
    let started = Instant::now();
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    Answer {
        status,
        body,
        took: started.elapsed(),
    }
}

/// The sum of a counter's series whose labels contain `labels`.
async fn metric(world: &World, name: &str, labels: &str) -> u64 {
    let text = world.metrics_text().await;
    text.lines()
        .filter(|line| line.starts_with(name) && line.contains(labels))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Proves the lock-out cannot be raced: 200 wrong passwords at once run at most
/// `max_failed_signins` password checks (each attempt is counted before its check), the
/// account ends locked, and the right password sent while they are still being answered is
/// refused with the lock's duration; no attempt opened a session.
pub async fn concurrent_sign_ins_cannot_outrun_the_lock(world: &mut World) {
    world
        .restart_with_settings(
            "[console]\nmax_failed_signins = 5\nlockout_s = 600\nfailure_delay_ms = 300\n\
         max_failure_delay_ms = 1000\nsignins_per_source_per_minute = 0\nsignins_per_minute = 0\n\
         password_check_queue = 1000\n",
        )
        .await;
    world
        .create_console_user("rita", "operator", PASSWORD)
        .await;
    let token = login_token(world).await;
    let mut flood = Vec::new();
    for n in 0..200 {
        let (http, base, token) = (world.http.clone(), world.server_url.clone(), token.clone());
        flood.push(tokio::spawn(async move {
            post_sign_in(&http, &base, &token, "rita", &format!("wrong {n}")).await
        }));
    }
    // The right password while the flood is being answered: once the lock is written.
    let deadline = Instant::now() + Duration::from_secs(30);
    while world
        .audit_rows("rita", "console.signin.lockout")
        .await
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the account never locked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let right = sign_in(world, &token, "rita", PASSWORD).await;
    assert_eq!(right.status, 401, "locked even with the right password");
    assert!(right.body.contains("locked for 10 min"), "{}", right.body);
    let mut statuses = Vec::new();
    for attempt in flood {
        statuses.push(attempt.await.unwrap().status);
    }
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");

    let checks = metric(world, "unipay_console_password_checks_total", "").await;
    assert!(checks <= 5, "{checks} password checks ran");
    let wrong: Vec<_> = world
        .audit_rows("rita", "console.signin")
        .await
        .into_iter()
        .filter(|r| r.outcome == "failed")
        .collect();
    assert!(wrong.len() <= 5, "{} wrong passwords checked", wrong.len());
    assert_eq!(
        world
            .audit_rows("rita", "console.signin.lockout")
            .await
            .len(),
        1
    );
    assert!(
        !world
            .audit_rows("rita", "console.signin")
            .await
            .iter()
            .any(|r| r.outcome == "ok"),
        "no session was opened"
    );
    let store = world.store().await;
    let user = store.get_console_user("rita").await.unwrap().unwrap();
    store.close().await;
    assert!(user.locked_until > 0, "{user:?}");
}

/// Proves a flood of sign-ins is turned away at once: over the per-address limit the answer is
/// 429 without a password check; tokenless forms and unknown users are counted, and only a
/// bounded sample of them reaches the audit log.
pub async fn sign_in_floods_are_limited_counted_and_sampled(world: &mut World) {
    world
        .restart_with_settings(
            "[console]\nfailure_delay_ms = 10\nmax_failure_delay_ms = 10\n\
         signins_per_source_per_minute = 5\n[inbound]\nrefused_samples_per_minute = 3\n",
        )
        .await;
    let mut answers = Vec::new();
    for _ in 0..30 {
        answers.push(sign_in(world, "", "mallory", "guess").await);
    }
    assert!(answers[..5].iter().all(|a| a.status == 403));
    for limited in &answers[5..] {
        assert_eq!(limited.status, 429);
        assert!(
            limited.took < Duration::from_millis(500),
            "{:?}",
            limited.took
        );
        assert!(limited.body.contains("Too many sign-in attempts"));
    }
    assert_eq!(
        metric(
            world,
            "unipay_unauthenticated_refusals_total",
            r#"reason="rate_limited""#
        )
        .await,
        25
    );

    // Without the per-address limit: every refusal counted, three of each kind written down.
    world
        .restart_with_settings(
            "[console]\nfailure_delay_ms = 10\nmax_failure_delay_ms = 10\n\
         signins_per_source_per_minute = 0\n[inbound]\nrefused_samples_per_minute = 3\n",
        )
        .await;
    let before = world.audit_rows("", "console.csrf").await.len();
    for _ in 0..60 {
        assert_eq!(sign_in(world, "", "mallory", "guess").await.status, 403);
    }
    let token = login_token(world).await;
    for n in 0..20 {
        let answer = sign_in(world, &token, &format!("nobody{n}"), "guess").await;
        assert_eq!(answer.status, 401);
    }
    assert_eq!(
        metric(
            world,
            "unipay_unauthenticated_refusals_total",
            r#"reason="csrf""#
        )
        .await,
        60
    );
    assert_eq!(
        metric(
            world,
            "unipay_unauthenticated_refusals_total",
            r#"reason="unknown_user""#
        )
        .await,
        20
    );
    let csrf_rows = world.audit_rows("", "console.csrf").await.len() - before;
    assert!(csrf_rows <= 3, "{csrf_rows} rows for 60 tokenless forms");
    let unknown_rows = world
        .audit_rows("", "console.signin")
        .await
        .iter()
        .filter(|r| r.actor.starts_with("nobody"))
        .count();
    assert!(
        unknown_rows <= 3,
        "{unknown_rows} rows for 20 unknown users"
    );
}

/// Proves forged bank messages cannot fill the database: over the per-address limit they are
/// answered 429, the rest are counted, a bounded sample is kept with its hash and reason, and
/// the pruner expires the sample.
pub async fn forged_callback_flood_leaves_a_bounded_expiring_sample(world: &mut World) {
    world
        .restart_with_settings(
            "[inbound]\ncallbacks_per_source_per_minute = 60\nrefused_samples_per_minute = 4\n\
         refused_retention_s = 2\n",
        )
        .await;
    const FORGED: usize = 150;
    let url = format!(
        "{}/callbacks/{}",
        world.server_url, world.channel_account_id
    );
    let mut limited = 0;
    for n in 0..FORGED {
        let answer = world
            .http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("MSG=forged{n:04}"))
            .send()
            .await
            .unwrap();
        match answer.status().as_u16() {
            400 => {}
            429 => limited += 1,
            other => panic!("forged message answered {other}"),
        }
    }
    assert!(limited >= FORGED - 70, "{limited} limited");
    let counted = metric(
        world,
        "unipay_unauthenticated_refusals_total",
        r#"surface="callback""#,
    )
    .await;
    assert_eq!(counted, FORGED as u64);
    let store = world.store().await;
    let kept = store.list_bank_messages(Some("rejected")).await.unwrap();
    store.close().await;
    assert!(!kept.is_empty() && kept.len() <= 4, "{} kept", kept.len());
    for message in &kept {
        assert_eq!(message.sha256.len(), 64);
        assert!(!message.reason.is_empty());
    }

    // Past the retention, the pruner (which runs as the server starts) deletes them.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    world.kill_server().await;
    world.start_server().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let store = world.store().await;
        let left = store
            .list_bank_messages(Some("rejected"))
            .await
            .unwrap()
            .len();
        store.close().await;
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{left} refused messages never expired"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Proves an app disabled by another node (here: straight in the database) is refused by this
/// node at its very next request, not when a cache runs out.
pub async fn an_app_disabled_elsewhere_is_refused_at_once(world: &mut World) {
    let payment = world.create("DISABLED-ELSEWHERE-1", 100).await;
    world.client.get_payment(&payment.id, false).await.unwrap();
    let store = world.store().await;
    let entry = AuditEntry {
        actor: "another-node",
        action: "app.disable",
        target: &world.app_id,
        detail: "",
        from_address: "test",
        outcome: "ok",
        now_ms: 0,
    };
    assert!(
        store
            .set_app_status(&world.app_id, "disabled", &entry)
            .await
            .unwrap()
    );
    assert!(
        world.client.get_payment(&payment.id, false).await.is_err(),
        "a disabled app is refused at once"
    );
    assert!(
        store
            .set_app_status(&world.app_id, "active", &entry)
            .await
            .unwrap()
    );
    store.close().await;
    world.client.get_payment(&payment.id, false).await.unwrap();
}
