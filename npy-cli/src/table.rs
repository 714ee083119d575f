//! Column-aligned text tables: a header row and rows of cells, columns separated by two
//! spaces, numbers right-aligned, no trailing spaces.
//!
//! Written here rather than with comfy-table (7.2, checked first and used in the first
//! version): `npy ls` on a 100,000-member archive prints 100,000 rows, and comfy-table's
//! per-cell work (line splitting, wrapping and styling support, a `Cell` per value) took
//! about 0.3 s of CPU and a few hundred MB for that listing, against a budget of one second
//! for the whole command. Alignment without borders, wrapping or colour is a few lines.

/// A table under construction.
#[derive(Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

/// A table with no borders or separators: columns aligned by spaces.
pub fn plain() -> Table {
    Table::default()
}

impl Table {
    /// The first row (column names).
    pub fn set_header<S: Into<String>>(&mut self, header: Vec<S>) {
        let header: Vec<String> = header.into_iter().map(Into::into).collect();
        self.rows.insert(0, header);
    }

    /// A row of cells (short rows leave the remaining cells empty).
    pub fn add_row<S: Into<String>>(&mut self, row: Vec<S>) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }
}

/// Right-aligns the given columns (numbers).
pub fn align_right(table: &mut Table, columns: &[usize]) {
    for &index in columns {
        if table.right.len() <= index {
            table.right.resize(index + 1, false);
        }
        table.right[index] = true;
    }
}

/// The table's text: two spaces between columns, none at the ends of lines.
pub fn render(table: Table) -> String {
    let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in &table.rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let total: usize = widths.iter().map(|w| w + 2).sum();
    let mut out = String::with_capacity(table.rows.len() * total);
    for row in &table.rows {
        let start = out.len();
        for (index, width) in widths.iter().enumerate() {
            let cell = row.get(index).map_or("", String::as_str);
            let pad = width - cell.chars().count();
            if table.right.get(index).copied().unwrap_or(false) {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.extend(std::iter::repeat_n(' ', pad));
            }
            out.push_str("  ");
        }
        let end = out[start..].trim_end().len() + start;
        out.truncate(end);
        out.push('\n');
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let mut t = plain();
        t.set_header(vec!["name", "n"]);
        t.add_row(vec!["a", "10"]);
        t.add_row(vec!["long name", "2"]);
        t.add_row(vec!["dir/"]);
        align_right(&mut t, &[1]);
        assert_eq!(
            render(t),
            "name        n\na          10\nlong name   2\ndir/"
        );
    }
}
