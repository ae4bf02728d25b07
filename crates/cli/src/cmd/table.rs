//! Plain-text tables for people: columns padded to their widest cell (by characters, so
//! Chinese text lines up as well as a terminal allows), numbers right-aligned.

pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(index) {
                *width = (*width).max(cell.chars().count());
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
        let pad = width.saturating_sub(cell.chars().count());
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
}
