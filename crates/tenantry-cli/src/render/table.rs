//! A plain-text table: a header, a rule, and left-aligned columns.

/// Rows of cells under a header.
#[derive(Debug)]
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column names.
    pub(crate) fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|name| (*name).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (one cell per column; line breaks become spaces).
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.header.len());
        self.rows.push(
            cells
                .into_iter()
                .map(|cell| cell.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect(),
        );
    }

    /// Whether the table has no rows.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, each line ending with a line break. The last
    /// column is not padded, so a long message there does not widen the rest.
    pub(crate) fn render(&self) -> String {
        let width = |cell: &String| cell.chars().count();
        let mut widths: Vec<usize> = self.header.iter().map(width).collect();
        for row in &self.rows {
            for (column, cell) in row.iter().enumerate() {
                widths[column] = widths[column].max(width(cell));
            }
        }
        let mut out = String::new();
        // The last column's rule is as wide as its name: its cells may be long messages.
        let last = widths.len() - 1;
        let rule: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(column, cells)| {
                let rule = if column == last {
                    width(&self.header[last])
                } else {
                    *cells
                };
                "-".repeat(rule)
            })
            .collect();
        for line in std::iter::once(&self.header)
            .chain(std::iter::once(&rule))
            .chain(&self.rows)
        {
            for (column, cell) in line.iter().enumerate() {
                if column == last {
                    out.push_str(cell);
                } else {
                    out.push_str(cell);
                    out.push_str(&" ".repeat(widths[column] - width(cell) + 2));
                }
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned_and_the_last_is_not_padded() {
        let mut table = Table::new(&["set", "schema", "outcome"]);
        table.row(vec!["control".into(), "x".into(), "applied 1".into()]);
        table.row(vec![
            "tenant".into(),
            "tenant_acme".into(),
            "failed\nat 2".into(),
        ]);
        assert_eq!(
            table.render(),
            "set      schema       outcome\n\
             -------  -----------  -------\n\
             control  x            applied 1\n\
             tenant   tenant_acme  failed at 2\n"
        );
    }
}
