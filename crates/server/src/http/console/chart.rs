//! Charts drawn on the server as inline SVG: bars for one series, lines for several, with
//! axes, grid and labels. Every text is escaped; the result goes into a template with `|safe`.
//! Colours and fonts come from classes styled by `console.css` (the CSP allows no inline
//! style), with presentation attributes as a fallback.

use std::fmt::Write;

const WIDTH: i64 = 720;
const HEIGHT: i64 = 240;
const LEFT: i64 = 72;
const RIGHT: i64 = 16;
const TOP: i64 = 16;
const BOTTOM: i64 = 40;
const Y_TICKS: i64 = 4;
/// More x labels than this and every other one (or more) is left out.
const MAX_X_LABELS: usize = 10;

/// One named line of a line chart.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    pub label: &'a str,
    pub values: &'a [i64],
}

/// What every chart has: its `data-test` name, its accessible title, the x labels and how to
/// print a y value.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// `data-test="chart-{name}"`.
    pub name: &'a str,
    pub title: &'a str,
    pub x_labels: &'a [String],
    pub format_y: fn(i64) -> String,
}

/// A bar per x label.
pub fn bars(frame: &Frame<'_>, values: &[i64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0);
    let mut svg = open(frame, nice_ceiling(max));
    let slots = frame.x_labels.len().max(values.len()).max(1) as i64;
    let slot = (WIDTH - LEFT - RIGHT) / slots;
    let bar = (slot * 7 / 10).max(1);
    let top = nice_ceiling(max);
    for (i, value) in values.iter().enumerate() {
        let height = scale(*value, top);
        let x = LEFT + slot * i as i64 + (slot - bar) / 2;
        let y = HEIGHT - BOTTOM - height;
        let label = frame.x_labels.get(i).map(String::as_str).unwrap_or("");
        let _ = write!(
            svg,
            r##"<rect class="bar" x="{x}" y="{y}" width="{bar}" height="{height}" fill="#2f6fb3"><title>{}: {}</title></rect>"##,
            escape(label),
            escape(&(frame.format_y)(*value)),
        );
    }
    close(svg, frame, slot)
}

/// A line per series over the x labels, with a legend.
pub fn lines(frame: &Frame<'_>, series: &[Series<'_>]) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0);
    let top = nice_ceiling(max);
    let mut svg = open(frame, top);
    let points = frame.x_labels.len().max(1) as i64;
    let slot = (WIDTH - LEFT - RIGHT) / points;
    for (n, s) in series.iter().enumerate() {
        let colour = PALETTE[n % PALETTE.len()];
        let _ = write!(
            svg,
            r#"<polyline class="line s{}" fill="none" stroke="{colour}" stroke-width="2" points=""#,
            n % PALETTE.len()
        );
        for (i, value) in s.values.iter().enumerate() {
            let x = LEFT + slot * i as i64 + slot / 2;
            let y = HEIGHT - BOTTOM - scale(*value, top);
            let _ = write!(svg, "{x},{y} ");
        }
        svg.push_str(r#""/>"#);
        let legend_x = LEFT + 8 + 140 * n as i64;
        let _ = write!(
            svg,
            r#"<rect x="{legend_x}" y="{TOP}" width="10" height="10" fill="{colour}" class="legend s{}"/><text class="legend" x="{}" y="{}">{}</text>"#,
            n % PALETTE.len(),
            legend_x + 14,
            TOP + 9,
            escape(s.label)
        );
    }
    close(svg, frame, slot)
}

const PALETTE: [&str; 4] = ["#2f6fb3", "#c0392b", "#27ae60", "#8e44ad"];

fn open(frame: &Frame<'_>, top: i64) -> String {
    let mut svg = String::with_capacity(4096);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-test="chart-{}" role="img" aria-label="{}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}"><title>{}</title>"#,
        escape(frame.name),
        escape(frame.title),
        escape(frame.title),
    );
    for tick in 0..=Y_TICKS {
        let value = (i128::from(top) * i128::from(tick) / i128::from(Y_TICKS)) as i64;
        let y = HEIGHT - BOTTOM - scale(value, top);
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="#ddd"/><text class="axis" x="{}" y="{}" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6,
            y + 4,
            escape(&(frame.format_y)(value))
        );
    }
    let _ = write!(
        svg,
        r##"<line class="axis-line" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{}" stroke="#888"/><line class="axis-line" x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="#888"/>"##,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM
    );
    svg
}

fn close(mut svg: String, frame: &Frame<'_>, slot: i64) -> String {
    let every = frame.x_labels.len().div_ceil(MAX_X_LABELS).max(1);
    for (i, label) in frame.x_labels.iter().enumerate() {
        if i % every != 0 && i + 1 != frame.x_labels.len() {
            continue;
        }
        let x = LEFT + slot * i as i64 + slot / 2;
        let _ = write!(
            svg,
            r#"<text class="axis" x="{x}" y="{}" text-anchor="middle">{}</text>"#,
            HEIGHT - BOTTOM + 16,
            escape(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Height in pixels of `value` on an axis from 0 to `top`.
fn scale(value: i64, top: i64) -> i64 {
    let room = HEIGHT - TOP - BOTTOM;
    if top <= 0 {
        return 0;
    }
    (i128::from(value.clamp(0, top)) * i128::from(room) / i128::from(top)) as i64
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `max` (at least 1), so the ticks are round.
pub fn nice_ceiling(max: i64) -> i64 {
    let mut step = 1i64;
    loop {
        for factor in [1, 2, 5] {
            let candidate = step.saturating_mul(factor);
            if candidate >= max || candidate == i64::MAX {
                return candidate.max(1);
            }
        }
        step = step.saturating_mul(10);
    }
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(value: i64) -> String {
        value.to_string()
    }

    fn labels(n: usize) -> Vec<String> {
        (1..=n).map(|d| format!("11-{d:02}")).collect()
    }

    #[test]
    fn bars_have_axes_labels_and_one_rect_per_value() {
        let x = labels(3);
        let svg = bars(
            &Frame {
                name: "collected",
                title: "Collected",
                x_labels: &x,
                format_y: count,
            },
            &[3, 0, 7],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"data-test="chart-collected""#));
        assert_eq!(svg.matches(r#"<rect class="bar""#).count(), 3);
        // Axis up to 10 (the round ceiling of 7), in five ticks.
        assert!(svg.contains(">10</text>"));
        assert!(svg.contains(">0</text>"));
        assert!(svg.contains(">11-02</text>"));
        // The tallest bar fills the plot: 7 of 10 of 184 px.
        assert!(svg.contains(r#"height="128""#));
        assert!(!svg.contains("style="));
    }

    #[test]
    fn text_is_escaped() {
        let x = vec!["<b>&\"'".to_string()];
        let svg = lines(
            &Frame {
                name: "x\"><script>",
                title: "<script>alert(1)</script>",
                x_labels: &x,
                format_y: count,
            },
            &[Series {
                label: "</text><script>",
                values: &[1],
            }],
        );
        assert!(!svg.contains("<script>"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains("&lt;b&gt;&amp;&quot;&#39;"));
        assert!(svg.contains("&lt;/text&gt;"));
    }

    #[test]
    fn lines_draw_each_series_and_thin_out_labels() {
        let x = labels(30);
        let a: Vec<i64> = (0..30).collect();
        let b: Vec<i64> = (0..30).map(|v| v * 2).collect();
        let svg = lines(
            &Frame {
                name: "trend",
                title: "Trend",
                x_labels: &x,
                format_y: count,
            },
            &[
                Series {
                    label: "count",
                    values: &a,
                },
                Series {
                    label: "double",
                    values: &b,
                },
            ],
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(">100</text>"), "58 rounds up to 100");
        let x_labels = svg.matches(r#"text-anchor="middle""#).count();
        assert!(x_labels <= MAX_X_LABELS + 1, "{x_labels} labels");
        assert!(svg.contains(">11-30</text>"), "the last day is labelled");
    }

    #[test]
    fn empty_and_huge_values_do_not_break_the_scale() {
        assert_eq!(nice_ceiling(0), 1);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(101), 200);
        assert!(nice_ceiling(i64::MAX) >= i64::MAX / 2);
        let svg = bars(
            &Frame {
                name: "none",
                title: "None",
                x_labels: &[],
                format_y: count,
            },
            &[],
        );
        assert!(svg.ends_with("</svg>"));
        let huge = bars(
            &Frame {
                name: "huge",
                title: "Huge",
                x_labels: &labels(2),
                format_y: count,
            },
            &[i64::MAX, -5],
        );
        assert!(huge.contains(r#"height="0""#));
    }
}
