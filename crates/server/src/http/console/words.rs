//! Stored values as words. Statuses, roles, payment methods, timeline events, audit actions,
//! ledger reasons and accounts, reconciliation classes: the database keeps codes
//! (`succeeded`, `A`, `bank_failed:unchanged`), the console shows words in the reader's language.
//! Each value `v` of family `f` has the key `word.f.v` in both catalogues; the test below lists
//! every value each family can hold and checks both catalogues have a word for it.

use super::i18n::Tr;

/// Where a status sits, for its colour: done well, done badly, still moving, or set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    Waiting,
    Neutral,
}

impl Tone {
    pub fn as_str(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Bad => "bad",
            Tone::Waiting => "waiting",
            Tone::Neutral => "neutral",
        }
    }
}

/// The colour of any status the console shows (payments, refunds, mandates, batches, items,
/// notifications, users, apps).
pub fn tone(status: &str) -> Tone {
    match status {
        "succeeded" | "paid" | "active" | "delivered" | "matched" | "fixed" | "resolved"
        | "finished" | "approved" | "ok" => Tone::Good,
        "failed" | "dead" | "rejected" | "not_matched" | "refused" | "forbidden" | "locked"
        | "open" | "disabled" => Tone::Bad,
        "created" | "pending" | "authorized" | "pending_review" | "submitted" | "held"
        | "sending" | "code_sent" | "unknown" => Tone::Waiting,
        _ => Tone::Neutral,
    }
}

impl Tr {
    /// The word for `value` of `family` (`status`, `role`, `method`, `event`, `source`,
    /// `action`, `outcome`, `reason`, `account`, `class`, `kind`, `capture`, `event_type`,
    /// `decision`, `verdict`, `answer`); an unknown value shows as itself.
    pub fn word(&self, family: &str, value: &str) -> String {
        if value.is_empty() {
            return String::new();
        }
        let key = format!("word.{family}.{value}");
        if self.has(&key) {
            self.get_owned(&key)
        } else {
            value.to_string()
        }
    }

    /// A timeline event: `bank_failed:unchanged` is the event's word and the qualifier's.
    pub fn event(&self, kind: &str) -> String {
        match kind.split_once(':') {
            Some((event, qualifier)) => format!(
                "{} · {}",
                self.word("event", event),
                self.word("event", qualifier)
            ),
            None => self.word("event", kind),
        }
    }

    /// A timeline event's detail as a word where it is a code: the payment method a request
    /// was sent with (`A`, `1`; `kcode` for a K-code payment); other details are shown as
    /// written (a mandate id, a bank's reason).
    pub fn event_detail(&self, kind: &str, detail: &str) -> String {
        if kind == "request_sent" && self.has(&format!("word.method.{detail}")) {
            self.word("method", detail)
        } else {
            detail.to_string()
        }
    }

    /// A ledger account `kind:owner` as the account's word and its owner.
    pub fn account(&self, account: &str) -> String {
        match account.split_once(':') {
            Some((kind, owner)) if !owner.is_empty() => {
                format!("{} {owner}", self.word("account", kind))
            }
            _ => self.word("account", account),
        }
    }

    /// The colour class of a status.
    pub fn tone(&self, status: &str) -> &'static str {
        tone(status).as_str()
    }

    fn get_owned(&self, key: &str) -> String {
        self.get(key).to_string()
    }
}

/// Every value of each family the console shows. The test checks each has a word in both
/// catalogues; a new status or action is added here and to both catalogues.
pub mod vocabulary {
    use unipay_core::bank_batch::BankBatchStatus;
    use unipay_core::event::EventSource;
    use unipay_core::kcode::KcodeStatus;
    use unipay_core::ledger::{AccountKind, EntryReason};
    use unipay_core::mandate::MandateStatus;
    use unipay_core::payment::PaymentStatus;
    use unipay_core::recon::DiffClass;
    use unipay_core::refund::RefundStatus;
    use unipay_core::settlement::SettlementStatus;

    /// Statuses kept as text with no enum of their own: recon items, notifications, users,
    /// apps, identity verifications.
    const OTHER_STATUSES: &[&str] = &[
        "open",
        "held",
        "fixed",
        "resolved",
        "delivered",
        "dead",
        "active",
        "disabled",
        "locked",
        "matched",
        "not_matched",
    ];

    pub fn statuses() -> Vec<&'static str> {
        let mut all: Vec<&str> = PaymentStatus::ALL.iter().map(|s| s.as_str()).collect();
        all.extend(RefundStatus::ALL.iter().map(|s| s.as_str()));
        all.extend(MandateStatus::ALL.iter().map(|s| s.as_str()));
        all.extend(SettlementStatus::ALL.iter().map(|s| s.as_str()));
        all.extend(BankBatchStatus::ALL.iter().map(|s| s.as_str()));
        all.extend(KcodeStatus::ALL.iter().map(|s| s.as_str()));
        all.extend(OTHER_STATUSES);
        all.sort_unstable();
        all.dedup();
        all
    }

    pub const ROLES: &[&str] = &["admin", "operator", "finance", "auditor"];

    /// Payment methods: the bank's payment type codes.
    pub fn methods() -> Vec<&'static str> {
        crate::channels::payment_type_codes()
    }

    /// Timeline kinds and the qualifiers after their `:`.
    pub const EVENTS: &[&str] = &[
        "created",
        "bank_chosen",
        "request_sent",
        "bank_succeeded",
        "bank_failed",
        "confirmed_unpaid_close",
        "bank_authorized",
        "captured",
        "cancel_confirmed",
        "unchanged",
        "late_success",
        "late_success_accepted",
        "late_success_refunded",
        "rejected",
        "amount_mismatch",
        "query_unknown",
        "query_failed",
        "kcode_bill",
        "kcode_pay",
        "kcode_wrong_code",
        "kcode_code_expired",
        "kcode_pay_unsettled",
        "kcode_resend",
        "debit_unknown",
        "refund.created",
        "bank_pending",
        "bank_signed",
        "bank_sign_failed",
        "bank_cancelled",
        "expired",
    ];

    /// Where a bank message came from, beside the timeline's sources.
    const MESSAGE_SOURCES: &[&str] = &[
        "refund",
        "refund_query",
        "batch_query",
        "agent_pay",
        "agent_batch_query",
        "identity_answer",
        "identity_notification",
        "mandate_query",
        "mandate_cancel",
        "preauth",
        "kcode_bill",
        "kcode_pay",
        "kcode_resend",
    ];

    pub fn sources() -> Vec<&'static str> {
        let mut all: Vec<&str> = [
            EventSource::Api,
            EventSource::Cashier,
            EventSource::PageNotification,
            EventSource::ServerNotification,
            EventSource::Query,
            EventSource::Expirer,
            EventSource::Reconciliation,
            EventSource::Console,
        ]
        .iter()
        .map(|s| s.as_str())
        .collect();
        all.extend(MESSAGE_SOURCES);
        all
    }

    pub const ACTIONS: &[&str] = &[
        "app.create",
        "app.disable",
        "app.rotate_secret",
        "channel_account.add",
        "console.csrf",
        "console.export",
        "console.forbidden",
        "console.signin",
        "console.signin.lockout",
        "console.signout",
        "console.user.create",
        "console.user.disable",
        "console.user.enable",
        "console.user.password",
        "console.user.reset",
        "console.user.role",
        "console.user.unlock",
        "mandate.query",
        "merchant.create",
        "notification.resend",
        "notification.resend_endpoint",
        "payment.close",
        "payment.query",
        "payment.late_success",
        "payment.refund",
        "recon.resolve",
        "recon.run",
        "settlement.approve",
        "settlement.cancel",
        "settlement.create",
        "settlement.download",
        "settlement.mark_paid",
        "settlement.review",
        "statement.download",
        "statement.fetch",
    ];

    pub const OUTCOMES: &[&str] = &["ok", "refused", "failed", "forbidden", "locked"];

    pub fn reasons() -> Vec<&'static str> {
        EntryReason::ALL.iter().map(|r| r.as_str()).collect()
    }

    pub fn accounts() -> Vec<&'static str> {
        AccountKind::ALL.iter().map(|a| a.as_str()).collect()
    }

    pub fn classes() -> Vec<&'static str> {
        DiffClass::ALL.iter().map(|c| c.as_str()).collect()
    }

    pub const KINDS: &[&str] = &["payment", "refund"];
    pub const CAPTURES: &[&str] = &["immediate", "manual"];
    pub const EVENT_TYPES: &[&str] = &[
        "payment.succeeded",
        "payment.failed",
        "payment.closed",
        "payment.authorized",
        "payment.cancelled",
        "payment.late_succeeded",
        "refund.succeeded",
        "refund.failed",
        "mandate.active",
        "mandate.cancelled",
        "mandate.expired",
        "mandate.failed",
        "identity.verified",
    ];
    pub const DECISIONS: &[&str] = &["bank_wins", "platform_wins", "query_confirmed"];
    pub const VERDICTS: &[&str] = &["accepted", "rejected"];
    /// What a query of the bank found (the console's "query now", the cashier's "I have paid").
    pub const ANSWERS: &[&str] = &[
        "paid",
        "authorized",
        "cancelled",
        "unpaid",
        "failed",
        "unknown",
        "unreachable",
    ];

    /// Each family with every value it can hold.
    pub fn families() -> Vec<(&'static str, Vec<&'static str>)> {
        vec![
            ("status", statuses()),
            ("role", ROLES.to_vec()),
            ("method", methods()),
            ("event", EVENTS.to_vec()),
            ("source", sources()),
            ("action", ACTIONS.to_vec()),
            ("outcome", OUTCOMES.to_vec()),
            ("reason", reasons()),
            ("account", accounts()),
            ("class", classes()),
            ("kind", KINDS.to_vec()),
            ("capture", CAPTURES.to_vec()),
            ("event_type", EVENT_TYPES.to_vec()),
            ("decision", DECISIONS.to_vec()),
            ("verdict", VERDICTS.to_vec()),
            ("answer", ANSWERS.to_vec()),
            ("mode", vec!["direct", "redirect"]),
            ("customer", vec!["person", "company"]),
            ("late", vec!["accepted", "refunded"]),
            ("bank", crate::channels::BANKS.to_vec()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::vocabulary::families;
    use super::*;
    use crate::http::console::i18n::{EN_CATALOGUE, Lang, ZH_CN_CATALOGUE, parse_catalogue};

    /// Every status, role, method, event, action, reason, account and class has a word in both
    /// catalogues, and the Chinese one is not the raw code.
    #[test]
    fn every_value_has_a_word_in_both_catalogues() {
        let en = parse_catalogue(EN_CATALOGUE).expect("en.toml parses");
        let zh = parse_catalogue(ZH_CN_CATALOGUE).expect("zh-CN.toml parses");
        let mut missing = Vec::new();
        for (family, values) in families() {
            for value in values {
                let key = format!("word.{family}.{value}");
                for (name, catalogue) in [("en", &en), ("zh-CN", &zh)] {
                    match catalogue.get(&key) {
                        None => missing.push(format!("{name}: {key}")),
                        Some(word) if name == "zh-CN" && word == value => {
                            missing.push(format!("{name}: {key} is the code itself"))
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        assert!(missing.is_empty(), "words missing: {missing:#?}");
    }

    /// Every action the code writes to the audit log is in the vocabulary (so has a word).
    #[test]
    fn every_audited_action_is_listed() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts = Vec::new();
        for dir in ["src", "../store/src"] {
            collect(&root.join(dir), &mut texts);
        }
        let mut unknown = Vec::new();
        for text in &texts {
            for opener in [
                ".audit(&state, \"",
                ".audit(state, \"",
                "audit_entry(\"",
                "action: \"",
            ] {
                for (at, _) in text.match_indices(opener) {
                    let rest = &text[at + opener.len()..];
                    if let Some(end) = rest.find('"') {
                        let action = &rest[..end];
                        if !vocabulary::ACTIONS.contains(&action) {
                            unknown.push(action.to_string());
                        }
                    }
                }
            }
        }
        assert!(unknown.is_empty(), "actions without a word: {unknown:?}");
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("reads the folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                collect(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&path).expect("reads the file"));
            }
        }
    }

    #[test]
    fn words_events_and_accounts_read_in_chinese() {
        let t = Lang::ZhCn.tr();
        assert_eq!(t.word("status", "succeeded"), "成功");
        assert_eq!(t.word("status", "no_such"), "no_such");
        assert_eq!(t.event("bank_failed:unchanged"), "银行告知失败 · 状态未变");
        assert!(t.account("bank_clearing:ca_1").ends_with(" ca_1"));
        assert_eq!(tone("succeeded"), Tone::Good);
        assert_eq!(tone("dead"), Tone::Bad);
        assert_eq!(tone("pending"), Tone::Waiting);
    }

    /// The method a request was sent with reads as a word, in both languages; a detail that
    /// is no code stays as written.
    #[test]
    fn a_request_s_method_reads_as_a_word() {
        let zh = Lang::ZhCn.tr();
        let en = Lang::En.tr();
        assert_eq!(zh.event_detail("request_sent", "A"), "全部方式");
        assert_eq!(en.event_detail("request_sent", "1"), "ABC debit card");
        assert!(
            en.event_detail("request_sent", "kcode")
                .starts_with("K-code")
        );
        assert!(zh.event_detail("request_sent", "kcode").starts_with("K码"));
        assert_eq!(en.event_detail("request_sent", "man_1"), "man_1");
        assert_eq!(en.event_detail("bank_failed", "A"), "A");
    }
}
