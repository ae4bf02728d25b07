//! `/console`: today and the last 30 days per channel account and per merchant (collected,
//! count, success rate), what is waiting (janitor, notifications, reconciliation,
//! settlement review), and the trend as server-drawn charts.

use super::chart::{self, Frame, Series};
use super::i18n::Tr;
use super::names::Names;
use super::page::{self, Layout};
use super::session::SignedIn;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use std::collections::BTreeMap;
// Days are the bank's: they start at midnight in UTC+8.
use unipay_core::calendar::{DAY_MS, UTC_OFFSET_MS};
use unipay_core::money::display_yuan;
use unipay_store::dashboard::{Backlog, DailyPayments};

pub const DAYS: i64 = 30;

/// Totals of one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub count: i64,
    pub reached_bank: i64,
    pub succeeded: i64,
    pub collected_fen: i64,
}

impl Totals {
    fn add(&mut self, row: &DailyPayments) {
        self.count += row.count;
        self.reached_bank += row.reached_bank;
        self.succeeded += row.succeeded;
        self.collected_fen += row.collected_fen;
    }

    pub fn collected(&self) -> String {
        display_yuan(self.collected_fen)
    }

    /// Succeeded of those that reached the bank, as a percentage with one decimal; `-` for
    /// none. A payment the consumer never took to the bank is no failure of the bank's.
    pub fn success_rate(&self) -> String {
        if self.reached_bank == 0 {
            return "-".into();
        }
        let tenths = self.succeeded * 1000 / self.reached_bank;
        format!("{}.{}%", tenths / 10, tenths % 10)
    }
}

/// One line of a per-account or per-merchant table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: String,
    /// What people know the id by (a merchant's name, a channel account's bank merchant
    /// number); filled by the page, blank from [`fold`].
    pub name: String,
    pub today: Totals,
    pub month: Totals,
}

/// The figures, folded from the daily rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub today: Totals,
    pub month: Totals,
    pub by_channel_account: Vec<Line>,
    pub by_merchant: Vec<Line>,
    /// One entry per day of the window, oldest first.
    pub daily: Vec<Totals>,
}

/// Folds the rows of `DAYS` days ending with `today` (a day number).
pub fn fold(rows: &[DailyPayments], today: i64) -> Figures {
    let first = today - (DAYS - 1);
    let mut figures = Figures {
        daily: vec![Totals::default(); DAYS as usize],
        ..Figures::default()
    };
    let mut accounts: BTreeMap<&str, Line> = BTreeMap::new();
    let mut merchants: BTreeMap<&str, Line> = BTreeMap::new();
    for row in rows.iter().filter(|r| (first..=today).contains(&r.day)) {
        let is_today = row.day == today;
        for (map, id) in [
            (&mut accounts, row.channel_account_id.as_str()),
            (&mut merchants, row.merchant_id.as_str()),
        ] {
            let line = map.entry(id).or_insert_with(|| Line {
                id: id.to_string(),
                name: String::new(),
                today: Totals::default(),
                month: Totals::default(),
            });
            line.month.add(row);
            if is_today {
                line.today.add(row);
            }
        }
        figures.month.add(row);
        if is_today {
            figures.today.add(row);
        }
        if let Some(day) = figures.daily.get_mut((row.day - first) as usize) {
            day.add(row);
        }
    }
    figures.by_channel_account = accounts.into_values().collect();
    figures.by_merchant = merchants.into_values().collect();
    figures
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    layout: Layout,
    t: Tr,
    figures: Figures,
    backlog: Backlog,
    collected_chart: String,
    count_chart: String,
    /// The filters of the tiles' links: today, and the window's first day to today.
    today: String,
    first_day: String,
    late_alert: String,
    rate_of_today: String,
    rate_of_30d: String,
}

/// `GET /console`
pub async fn show(State(state): State<AppState>, signed: SignedIn) -> Response {
    let now = state.now_ms();
    let today = (now + UTC_OFFSET_MS).div_euclid(DAY_MS);
    let since = (today - (DAYS - 1)) * DAY_MS - UTC_OFFSET_MS;
    let (rows, backlog) = match tokio::try_join!(
        state.store.daily_payments(since, UTC_OFFSET_MS),
        state.store.dashboard_backlog(now)
    ) {
        Ok(both) => both,
        Err(error) => return page::failure(&error),
    };
    let mut figures = fold(&rows, today);
    let names = match Names::load(&state.store).await {
        Ok(names) => names,
        Err(error) => return page::failure(&error),
    };
    for line in &mut figures.by_channel_account {
        line.name = names.channel_account(&line.id);
    }
    for line in &mut figures.by_merchant {
        line.name = names.merchant(&line.id);
    }
    let t = signed.t;
    let labels: Vec<String> = (today - (DAYS - 1)..=today).map(day_label).collect();
    let collected: Vec<i64> = figures.daily.iter().map(|d| d.collected_fen).collect();
    let counts: Vec<i64> = figures.daily.iter().map(|d| d.count).collect();
    let succeeded: Vec<i64> = figures.daily.iter().map(|d| d.succeeded).collect();
    let collected_chart = chart::bars(
        &Frame {
            name: "collected",
            title: t.get("dashboard.chart_collected"),
            x_labels: &labels,
            format_y: yuan_axis,
        },
        &collected,
    );
    let count_chart = chart::lines(
        &Frame {
            name: "payments",
            title: t.get("dashboard.chart_payments"),
            x_labels: &labels,
            format_y: |n| n.to_string(),
        },
        &[
            Series {
                label: t.get("dashboard.series_created"),
                values: &counts,
            },
            Series {
                label: t.get("dashboard.series_succeeded"),
                values: &succeeded,
            },
        ],
    );
    let late_alert = t.fill(
        "dashboard.late_success_alert",
        &[("n", &backlog.late_successes_open.to_string())],
    );
    let rate_of_today = rate_of(&t, &figures.today);
    let rate_of_30d = rate_of(&t, &figures.month);
    let layout = Layout::new(&signed, "dashboard", "dashboard.title");
    page::render(&DashboardPage {
        t: layout.t,
        layout,
        figures,
        backlog,
        collected_chart,
        count_chart,
        late_alert,
        rate_of_today,
        rate_of_30d,
        today: day_date(today),
        first_day: day_date(today - (DAYS - 1)),
    })
}

/// `MM-DD` of a day number.
fn day_label(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * DAY_MS)
        .map(|d| d.format("%m-%d").to_string())
        .unwrap_or_default()
}

/// "3 of 4 that reached the bank": what a success rate divides.
fn rate_of(t: &Tr, totals: &Totals) -> String {
    t.fill(
        "dashboard.rate_of",
        &[
            ("ok", &totals.succeeded.to_string()),
            ("n", &totals.reached_bank.to_string()),
        ],
    )
}

/// `YYYY-MM-DD` of a day number: the payments list's `from`/`to`.
fn day_date(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * DAY_MS)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Whole yuan on the axis (the bars' titles carry the fen).
fn yuan_axis(fen: i64) -> String {
    (fen / 100).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        merchant: &str,
        account: &str,
        day: i64,
        (count, reached, ok): (i64, i64, i64),
        fen: i64,
    ) -> DailyPayments {
        DailyPayments {
            merchant_id: merchant.into(),
            channel_account_id: account.into(),
            day,
            count,
            reached_bank: reached,
            succeeded: ok,
            collected_fen: fen,
        }
    }

    #[test]
    fn folds_today_the_month_and_each_line() {
        let today = 20_000;
        let rows = [
            // Of the 5 created today, 4 reached the bank and 3 succeeded.
            row("m1", "c1", today, (4, 4, 3), 300),
            row("m1", "c2", today, (1, 0, 0), 0),
            row("m1", "c1", today - 29, (10, 10, 10), 1000),
            row("m2", "c3", today - 1, (2, 2, 1), 50),
            // Outside the window: ignored.
            row("m2", "c3", today - 30, (99, 99, 99), 9900),
        ];
        let figures = fold(&rows, today);
        assert_eq!(
            figures.today,
            Totals {
                count: 5,
                reached_bank: 4,
                succeeded: 3,
                collected_fen: 300
            }
        );
        assert_eq!(
            figures.month,
            Totals {
                count: 17,
                reached_bank: 16,
                succeeded: 14,
                collected_fen: 1350
            }
        );
        // Succeeded of those that reached the bank, not of those created.
        assert_eq!(figures.today.success_rate(), "75.0%");
        assert_eq!(day_date(0), "1970-01-01");
        assert_eq!(Totals::default().success_rate(), "-");
        assert_eq!(figures.by_merchant.len(), 2);
        assert_eq!(figures.by_merchant[0].month.collected_fen, 1300);
        assert_eq!(figures.by_channel_account.len(), 3);
        assert_eq!(figures.daily.len(), 30);
        assert_eq!(figures.daily[0].count, 10);
        assert_eq!(figures.daily[28].collected_fen, 50);
        assert_eq!(figures.daily[29].count, 5);
        assert_eq!(day_label(0), "01-01");
    }
}
