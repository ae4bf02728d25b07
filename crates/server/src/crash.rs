//! Crash points: places where the chaos run (`unipay bench chaos`) makes this process die on
//! the spot, as `kill -9` or a power cut would, between two steps whose order the promise "no
//! result lost, none reported twice" rests on. They exist only in a build with the
//! `failpoints` feature (the test build); elsewhere [`crash_point`] is an empty function and
//! the arming route does not exist.

/// Every crash point, named after the two steps it falls between.
pub const CRASH_POINTS: &[&str] = &[
    // The payment is committed `pending`; the bank has not been asked yet.
    "payment.after_commit_before_bank_call",
    // A refund is committed `pending`; the bank has not been asked yet.
    "refund.after_commit_before_bank_call",
    // The bank's answer to a refund is in hand; nothing of it is committed yet.
    "refund.after_bank_answer_before_commit",
    // A verified bank notification is in hand; the change it brings is not committed.
    "callback.after_verify_before_commit",
    // The business system acknowledged a notification; the acknowledgment is not recorded.
    "notify.after_ack_before_record",
    // The janitor holds the lease of a payment it has not asked the bank about yet.
    "janitor.during_lease",
    // A debit is committed `created`; it is neither marked sent nor sent.
    "debit.after_commit_before_bank_call",
    // A mandate is committed `pending`; its signing request has not been sent.
    "mandate.after_commit_before_bank_call",
    // An identity verification is committed `pending`; the bank has not been asked.
    "identity.after_commit_before_bank_call",
];

/// Whether this build has crash points.
pub const COMPILED_IN: bool = cfg!(feature = "failpoints");

/// Dies here when the point is armed; does nothing otherwise (and nothing at all in a build
/// without crash points).
#[inline]
pub fn crash_point(name: &'static str) {
    #[cfg(feature = "failpoints")]
    if fail::eval(name, |_| ()).is_some() {
        die(name);
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}

/// SIGKILL to ourselves: no destructor, no flush, no graceful close of anything, exactly as the
/// chaos run's kills from outside.
#[cfg(feature = "failpoints")]
fn die(name: &str) {
    eprintln!("crash point {name}: killing this process");
    let _ = nix::sys::signal::kill(nix::unistd::Pid::this(), nix::sys::signal::Signal::SIGKILL);
    // The signal is delivered before `kill` returns for a process signalling itself; should it
    // not be, stop all the same rather than go on past the point.
    std::process::abort();
}

/// Arms a crash point: the next time this process passes it, it dies.
#[cfg(feature = "failpoints")]
pub fn arm(name: &str) -> Result<(), String> {
    if !CRASH_POINTS.contains(&name) {
        return Err(format!("no crash point named {name}"));
    }
    fail::cfg(name, "1*return")
}

/// `POST /chaos/crash-points/{name}`: arms the point (crash-point builds only).
#[cfg(feature = "failpoints")]
pub async fn arm_route(
    axum::extract::Path(name): axum::extract::Path<String>,
) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    match arm(&name) {
        Ok(()) => (StatusCode::OK, "armed").into_response(),
        Err(error) => (StatusCode::NOT_FOUND, error).into_response(),
    }
}
