//! Column-aligned text tables (comfy-table with no borders) and their rendering.

use comfy_table::{presets, CellAlignment, Table};

/// A table with no borders or separators: columns aligned by spaces.
pub fn plain() -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table
}

/// Right-aligns the given columns (numbers).
pub fn align_right(table: &mut Table, columns: &[usize]) {
    for &index in columns {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// The table's text: two spaces between columns, none at the ends of lines.
pub fn render(table: &Table) -> String {
    let mut table = table.clone();
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
        .lines()
        .map(|line| line.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
