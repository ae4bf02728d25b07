//! Plain-text tables for people: columns padded to their widest cell, numbers right-aligned.
//! Widths are display columns (Unicode East Asian Width), not characters: a Chinese character
//! takes two columns in a terminal, so counting characters would push every later column of a
//! row with Chinese text out of line.

use unicode_width::UnicodeWidthStr;

pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(index) {
                *width = (*width).max(cell.width());
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    push_row(&mut out, &header, &widths);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    push_row(&mut out, &rule, &widths);
    for row in rows {
        push_row(&mut out, row, &widths);
    }
    out
}

fn push_row(out: &mut String, cells: &[String], widths: &[usize]) {
    let mut line = String::new();
    for (index, cell) in cells.iter().enumerate() {
        let width = widths.get(index).copied().unwrap_or(0);
        let pad = width.saturating_sub(cell.width());
        if index > 0 {
            line.push_str("  ");
        }
        if is_number(cell) {
            line.push_str(&" ".repeat(pad));
            line.push_str(cell);
        } else {
            line.push_str(cell);
            line.push_str(&" ".repeat(pad));
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

fn is_number(cell: &str) -> bool {
    !cell.is_empty()
        && cell
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_and_numbers_align_right() {
        let text = render(
            &["account", "balance"],
            &[
                vec!["bank_clearing:cha_1".into(), "12.34".into()],
                vec!["fee_income:platform".into(), "-0.60".into()],
            ],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "account              balance");
        assert_eq!(lines[2], "bank_clearing:cha_1    12.34");
        assert_eq!(lines[3], "fee_income:platform    -0.60");
    }

    /// The display column where the last `needle` on `line` starts.
    fn column_of(line: &str, needle: &str) -> usize {
        let at = line
            .rfind(needle)
            .unwrap_or_else(|| panic!("{needle:?} in {line:?}"));
        line[..at].width()
    }

    #[test]
    fn chinese_text_lines_up_by_display_width() {
        let text = render(
            &["merchant", "subject", "amount", "status"],
            &[
                vec![
                    "演示学校 Demo school".into(),
                    "学费 Tuition".into(),
                    "1234.50".into(),
                    "succeeded".into(),
                ],
                vec![
                    "Tuition office".into(),
                    "书本费".into(),
                    "8.00".into(),
                    "已关闭".into(),
                ],
                vec![
                    "x".into(),
                    "Books".into(),
                    "12345678.90".into(),
                    "ok".into(),
                ],
            ],
        );
        let lines: Vec<&str> = text.lines().collect();
        // "演示学校" is four characters and eight columns wide.
        assert_eq!(lines[1].split("  ").next().map(str::width), Some(20));
        for (needle, row) in [("学费", 2), ("书本费", 3), ("Books", 4)] {
            assert_eq!(column_of(lines[row], needle), 22, "{text}");
        }
        // Right-aligned amounts end in the same column.
        let ends: Vec<usize> = [("1234.50", 2), ("8.00", 3), ("12345678.90", 4)]
            .iter()
            .map(|(amount, row)| column_of(lines[*row], amount) + amount.width())
            .collect();
        assert!(ends.windows(2).all(|w| w[0] == w[1]), "{text}");
        for (needle, row) in [("succeeded", 2), ("已关闭", 3), ("ok", 4)] {
            assert_eq!(
                column_of(lines[row], needle),
                column_of(lines[0], "status"),
                "{text}"
            );
        }
    }
}
