//! `respCode` (and a query's `origRespCode`): what a code says about what to do next.

/// How a code is to be taken (J16 Form_6_3/6_4/6_5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeClass {
    /// `00`: accepted (for a back transaction: taken in, not yet done).
    Accepted,
    /// `A6`: succeeded "with a defect" (partial success); UnionPay's appendix counts it as
    /// a success, and the SDK comments tell to treat it as one.
    AcceptedWithDefect,
    /// `03`, `04`, `05`: the outcome is not known yet: query later.
    Unknown,
    /// Anything else: refused or failed, for good.
    Refused,
}

pub fn classify(code: &str) -> CodeClass {
    match code {
        "00" => CodeClass::Accepted,
        "A6" => CodeClass::AcceptedWithDefect,
        "03" | "04" | "05" => CodeClass::Unknown,
        _ => CodeClass::Refused,
    }
}
