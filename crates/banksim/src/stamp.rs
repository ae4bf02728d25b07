//! What the bank's host stamps on a refund or a pre-authorization confirmation or cancellation
//! it carries out: its serial (iRspRef), a voucher, the batch of the day, the host date and
//! time, and the accounting date by the same cut-over rule as payments.

use crate::clock::{accounting_date, protocol_date, protocol_time};
use crate::state::Inner;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub i_rsp_ref: String,
    pub voucher_no: String,
    /// `yymmdd` of the host date, as payments have it.
    pub batch_no: String,
    /// `YYYY/MM/DD`.
    pub host_date: String,
    /// `HH:MM:SS`.
    pub host_time: String,
    /// `YYYY/MM/DD`, after the cut-over hour the next day.
    pub accounting_date: String,
}

impl Stamp {
    /// A fresh stamp at `now` (UTC+8 wall time): new serial and voucher numbers.
    pub fn new(sim: &Inner, now: DateTime<FixedOffset>) -> Stamp {
        Stamp {
            i_rsp_ref: sim.serials.bank_serial(),
            voucher_no: sim.serials.voucher(),
            batch_no: now.format("%y%m%d").to_string(),
            host_date: protocol_date(now.date_naive()),
            host_time: protocol_time(now),
            accounting_date: protocol_date(accounting_date(now, sim.cutover_hour)),
        }
    }

    /// The host time back as a value, for statements. Written by [`Stamp::new`] in the
    /// protocol's formats, so it always reads back.
    pub fn bank_time(&self) -> Option<NaiveDateTime> {
        let host = format!("{} {}", self.host_date, self.host_time);
        NaiveDateTime::parse_from_str(&host, "%Y/%m/%d %H:%M:%S").ok()
    }

    pub fn accounting(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.accounting_date, "%Y/%m/%d").ok()
    }
}
