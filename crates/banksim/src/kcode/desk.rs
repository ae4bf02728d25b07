//! The K-code desk: per order, the code last texted, when, how many codes went out and how
//! many wrong ones came back; per mobile, the texts sent (what `GET /sim/sms` shows). In
//! memory and bounded; its lock is never held while the order book's is taken.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, RwLock};

/// Orders with a K-code session kept at most; the oldest go first beyond it.
const MAX_SESSIONS: usize = 100_000;
/// Mobiles whose texts are kept, and texts kept per mobile.
const MAX_MOBILES: usize = 100_000;
const MAX_TEXTS_PER_MOBILE: usize = 20;

/// The desk's rules, changed through `POST /sim/kcode`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KcodeSettings {
    /// How long a texted code is good for, judged when the code comes back: shortening it
    /// expires codes already texted, which is how a test expires one without waiting.
    pub code_ttl_ms: u64,
    /// Wrong codes an order takes; the last one fails the order.
    pub max_wrong_codes: u32,
    /// Codes texted per order at most, the bill's included.
    pub max_codes: u32,
    /// A fault: each KPayReq is carried out, but its answer is lost (the connection breaks),
    /// so the merchant must learn the result by query.
    pub lose_pay_answers: bool,
    /// Cards the bank does not take for K-code payment (not enrolled): a bill naming one is
    /// refused with `2355` and nothing is registered or texted.
    pub refused_cards: Vec<String>,
    /// Card holders' names (AccName) whose details do not match the card: a KPayReq naming one
    /// is declined with `2356`; the order stays unpaid and no wrong code is counted.
    pub mismatched_holders: Vec<String>,
}

impl Default for KcodeSettings {
    fn default() -> Self {
        KcodeSettings {
            code_ttl_ms: 300_000,
            max_wrong_codes: 3,
            max_codes: 6,
            lose_pay_answers: false,
            refused_cards: Vec::new(),
            mismatched_holders: Vec::new(),
        }
    }
}

/// One text message as the consumer's phone would show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Text {
    pub mobile: String,
    pub order_no: String,
    pub code: String,
    pub text: String,
    pub sent_at_ms: i64,
    pub expires_at_ms: i64,
}

struct Session {
    mobile: String,
    code: String,
    sent_at_ms: i64,
    codes_sent: u32,
    wrong: u32,
    exhausted: bool,
}

/// Why no code was texted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueRefusal {
    /// The order failed after too many wrong codes.
    Exhausted,
    /// The order had all the codes it may have.
    Limit,
    /// No bill was taken for the order.
    NoSession,
}

/// What a code sent back is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Right,
    Wrong {
        left: u32,
    },
    /// This wrong code was the last one allowed: the order fails now.
    ExhaustedNow,
    /// The order failed before.
    Exhausted,
    Expired,
    NoSession,
}

#[derive(Default)]
struct Book {
    sessions: HashMap<String, Session>,
    session_age: VecDeque<String>,
    texts: HashMap<String, VecDeque<Text>>,
    text_age: VecDeque<String>,
}

#[derive(Default)]
pub struct KcodeDesk {
    settings: RwLock<KcodeSettings>,
    book: Mutex<Book>,
}

/// A bill's session as the state file keeps it (see [`crate::persist`]).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRecord {
    pub merchant_id: String,
    pub order_no: String,
    pub mobile: String,
    pub code: String,
    pub sent_at_ms: i64,
    pub codes_sent: u32,
    pub wrong: u32,
    pub exhausted: bool,
}

fn key(merchant_id: &str, order_no: &str) -> String {
    format!("{merchant_id}\u{1f}{order_no}")
}

fn new_code() -> String {
    format!("{:06}", rand::random::<u32>() % 1_000_000)
}

impl KcodeDesk {
    pub fn settings(&self) -> KcodeSettings {
        self.settings
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Whether the bank refuses K-code bills for this card.
    pub fn refuses_card(&self, card_no: &str) -> bool {
        self.settings
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .refused_cards
            .iter()
            .any(|card| card == card_no)
    }

    /// Whether the bank finds this holder's details do not match the card.
    pub fn holder_mismatch(&self, account_name: &str) -> bool {
        self.settings
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .mismatched_holders
            .iter()
            .any(|name| name == account_name.trim())
    }

    pub fn set_settings(&self, settings: KcodeSettings) {
        *self
            .settings
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = settings;
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Texts a code for the bill of an order. A bill sent again for the same order (the
    /// merchant retried, or the consumer changed the mobile) texts a new code as a resend
    /// would; the wrong codes counted so far stay counted.
    pub fn bill(
        &self,
        merchant_id: &str,
        order_no: &str,
        mobile: &str,
        now_ms: i64,
    ) -> Result<Text, IssueRefusal> {
        let settings = self.settings();
        let key = key(merchant_id, order_no);
        let mut book = self.book();
        if !book.sessions.contains_key(&key) {
            book.session_age.push_back(key.clone());
            book.sessions.insert(
                key.clone(),
                Session {
                    mobile: mobile.to_string(),
                    code: String::new(),
                    sent_at_ms: now_ms,
                    codes_sent: 0,
                    wrong: 0,
                    exhausted: false,
                },
            );
            book.evict_sessions();
        } else if let Some(session) = book.sessions.get_mut(&key) {
            session.mobile = mobile.to_string();
        }
        book.issue(&key, order_no, now_ms, &settings)
    }

    /// Texts a new code for an order that has a bill; the old code stops working.
    pub fn resend(
        &self,
        merchant_id: &str,
        order_no: &str,
        now_ms: i64,
    ) -> Result<Text, IssueRefusal> {
        let settings = self.settings();
        self.book()
            .issue(&key(merchant_id, order_no), order_no, now_ms, &settings)
    }

    /// Judges a code sent back for an order, counting a wrong one.
    pub fn check(&self, merchant_id: &str, order_no: &str, code: &str, now_ms: i64) -> Verdict {
        let settings = self.settings();
        let mut book = self.book();
        let Some(session) = book.sessions.get_mut(&key(merchant_id, order_no)) else {
            return Verdict::NoSession;
        };
        if session.exhausted {
            return Verdict::Exhausted;
        }
        let expires_at = session
            .sent_at_ms
            .saturating_add(i64::try_from(settings.code_ttl_ms).unwrap_or(i64::MAX));
        if now_ms >= expires_at {
            return Verdict::Expired;
        }
        if session.code == code {
            return Verdict::Right;
        }
        session.wrong = session.wrong.saturating_add(1);
        if session.wrong >= settings.max_wrong_codes {
            session.exhausted = true;
            return Verdict::ExhaustedNow;
        }
        Verdict::Wrong {
            left: settings.max_wrong_codes - session.wrong,
        }
    }

    /// Whether `code` is the order's current code (a paid order's KPayReq sent again).
    pub fn is_current_code(&self, merchant_id: &str, order_no: &str, code: &str) -> bool {
        self.book()
            .sessions
            .get(&key(merchant_id, order_no))
            .is_some_and(|session| session.code == code)
    }

    /// Whether the order failed after too many wrong codes.
    pub fn is_exhausted(&self, merchant_id: &str, order_no: &str) -> bool {
        self.book()
            .sessions
            .get(&key(merchant_id, order_no))
            .is_some_and(|session| session.exhausted)
    }

    /// Every bill's session, oldest first, and every text kept (for the state file).
    pub fn export(&self) -> (Vec<SessionRecord>, Vec<Text>) {
        let book = self.book();
        let sessions = book
            .session_age
            .iter()
            .filter_map(|key| {
                let session = book.sessions.get(key)?;
                let (merchant_id, order_no) = key.split_once('\u{1f}')?;
                Some(SessionRecord {
                    merchant_id: merchant_id.to_string(),
                    order_no: order_no.to_string(),
                    mobile: session.mobile.clone(),
                    code: session.code.clone(),
                    sent_at_ms: session.sent_at_ms,
                    codes_sent: session.codes_sent,
                    wrong: session.wrong,
                    exhausted: session.exhausted,
                })
            })
            .collect();
        let texts = book
            .text_age
            .iter()
            .filter_map(|mobile| book.texts.get(mobile))
            .flat_map(|texts| texts.iter().cloned())
            .collect();
        (sessions, texts)
    }

    /// Puts exported sessions and texts back into a fresh desk.
    pub fn import(&self, sessions: Vec<SessionRecord>, texts: Vec<Text>) {
        let mut book = self.book();
        for record in sessions {
            let key = key(&record.merchant_id, &record.order_no);
            if book.sessions.contains_key(&key) {
                continue;
            }
            book.session_age.push_back(key.clone());
            book.sessions.insert(
                key,
                Session {
                    mobile: record.mobile,
                    code: record.code,
                    sent_at_ms: record.sent_at_ms,
                    codes_sent: record.codes_sent,
                    wrong: record.wrong,
                    exhausted: record.exhausted,
                },
            );
        }
        book.evict_sessions();
        for text in texts {
            book.keep_text(text);
        }
    }

    /// The texts a mobile received, newest first.
    pub fn texts(&self, mobile: &str) -> Vec<Text> {
        self.book()
            .texts
            .get(mobile)
            .map(|texts| texts.iter().rev().cloned().collect())
            .unwrap_or_default()
    }
}

impl Book {
    fn issue(
        &mut self,
        key: &str,
        order_no: &str,
        now_ms: i64,
        settings: &KcodeSettings,
    ) -> Result<Text, IssueRefusal> {
        let session = self.sessions.get_mut(key).ok_or(IssueRefusal::NoSession)?;
        if session.exhausted {
            return Err(IssueRefusal::Exhausted);
        }
        if session.codes_sent >= settings.max_codes {
            return Err(IssueRefusal::Limit);
        }
        session.codes_sent += 1;
        session.code = new_code();
        session.sent_at_ms = now_ms;
        let text = Text {
            mobile: session.mobile.clone(),
            order_no: order_no.to_string(),
            code: session.code.clone(),
            text: format!(
                "【中国农业银行】您的K码支付验证码为{}，订单{}，{}分钟内有效。",
                session.code,
                order_no,
                settings.code_ttl_ms.div_ceil(60_000)
            ),
            sent_at_ms: now_ms,
            expires_at_ms: now_ms
                .saturating_add(i64::try_from(settings.code_ttl_ms).unwrap_or(i64::MAX)),
        };
        self.keep_text(text.clone());
        Ok(text)
    }

    fn keep_text(&mut self, text: Text) {
        if !self.texts.contains_key(&text.mobile) {
            self.text_age.push_back(text.mobile.clone());
            while self.texts.len() >= MAX_MOBILES {
                let Some(oldest) = self.text_age.pop_front() else {
                    break;
                };
                self.texts.remove(&oldest);
            }
        }
        let texts = self.texts.entry(text.mobile.clone()).or_default();
        if texts.len() >= MAX_TEXTS_PER_MOBILE {
            texts.pop_front();
        }
        texts.push_back(text);
    }

    fn evict_sessions(&mut self) {
        while self.sessions.len() > MAX_SESSIONS {
            let Some(oldest) = self.session_age.pop_front() else {
                break;
            };
            self.sessions.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn codes_expire_count_wrong_attempts_and_resends_void_the_old_code() {
        let desk = KcodeDesk::default();
        let first = desk.bill("M", "O1", "13800138000", 1_000).unwrap();
        assert_eq!(first.code.len(), 6);
        assert_eq!(desk.texts("13800138000"), vec![first.clone()]);
        let second = desk.resend("M", "O1", 2_000).unwrap();
        assert_eq!(desk.texts("13800138000")[0], second);
        if first.code != second.code {
            assert_eq!(
                desk.check("M", "O1", &first.code, 2_001),
                Verdict::Wrong { left: 2 }
            );
        }
        assert_eq!(desk.check("M", "O1", &second.code, 2_002), Verdict::Right);
        assert_eq!(
            desk.check("M", "O1", &second.code, 2_000 + 300_000),
            Verdict::Expired
        );
        assert_eq!(desk.check("M", "O2", "123456", 2_000), Verdict::NoSession);
    }

    #[test]
    fn the_last_wrong_code_fails_the_order_and_no_code_follows() {
        let desk = KcodeDesk::default();
        let text = desk.bill("M", "O1", "13800138000", 0).unwrap();
        let wrong = if text.code == "000000" {
            "111111"
        } else {
            "000000"
        };
        assert_eq!(desk.check("M", "O1", wrong, 1), Verdict::Wrong { left: 2 });
        assert_eq!(desk.check("M", "O1", wrong, 2), Verdict::Wrong { left: 1 });
        assert_eq!(desk.check("M", "O1", wrong, 3), Verdict::ExhaustedNow);
        assert_eq!(desk.check("M", "O1", &text.code, 4), Verdict::Exhausted);
        assert_eq!(desk.resend("M", "O1", 5), Err(IssueRefusal::Exhausted));
    }

    #[test]
    fn codes_per_order_are_limited() {
        let desk = KcodeDesk::default();
        desk.set_settings(KcodeSettings {
            max_codes: 2,
            ..KcodeSettings::default()
        });
        desk.bill("M", "O1", "13800138000", 0).unwrap();
        desk.resend("M", "O1", 1).unwrap();
        assert_eq!(desk.resend("M", "O1", 2), Err(IssueRefusal::Limit));
        assert_eq!(desk.resend("M", "O9", 2), Err(IssueRefusal::NoSession));
    }
}
