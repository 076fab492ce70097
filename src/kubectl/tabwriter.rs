//! A clone of Go's `text/tabwriter` with a space pad character, as kubectl configures it:
//! `get` tables use minwidth 6, padding 3; `describe` and `rollout history` use minwidth 0,
//! padding 2. Alignment is per column block, exactly as Go computes it, so a table printed
//! here lines up column for column with kubectl's.

/// Accumulates tab-separated text and aligns it on [`TabWriter::finish`].
#[derive(Debug, Clone)]
pub struct TabWriter {
    min_width: usize,
    padding: usize,
    text: String,
    /// `RememberWidths` (liggitt/tabwriter, as kubectl's `get` writer sets it): each
    /// column's widest width so far, kept across flushes, so rows printed later by a watch
    /// line up with the first ones and columns only ever widen.
    remembered: Option<Vec<usize>>,
}

/// `printers.GetNewTabWriter`: the writer behind `kubectl get`.
pub fn for_get() -> TabWriter {
    TabWriter::new(6, 3)
}

/// `describe.tabbedString`: the writer behind `kubectl describe` and `rollout history`.
pub fn for_describe() -> TabWriter {
    TabWriter::new(0, 2)
}

impl TabWriter {
    /// A writer with Go's `minwidth` and `padding` (pad character a space, no flags).
    pub fn new(min_width: usize, padding: usize) -> Self {
        TabWriter {
            min_width,
            padding,
            text: String::new(),
            remembered: None,
        }
    }

    /// The same writer remembering column widths across flushes (`RememberWidths`).
    pub fn remembering_widths(mut self) -> Self {
        self.remembered = Some(Vec::new());
        self
    }

    /// Appends text; cells end at `\t`, lines at `\n`.
    pub fn write(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Aligns everything written so far and appends it to `out` (Go's `Flush`): column
    /// widths do not carry over to text written afterwards.
    pub fn flush_into(&mut self, out: &mut String) {
        let text = std::mem::take(&mut self.text);
        let lines: Vec<Vec<&str>> = text.split_inclusive('\n').map(split_cells).collect();
        let mut widths = Vec::new();
        self.format(&lines, 0, lines.len(), &mut widths, out);
    }

    /// The text as written, tabs untouched (what kubectl prints when it bypasses the
    /// tabwriter, as `rollout history --revision` does).
    pub fn into_raw(self) -> String {
        self.text
    }

    /// Aligns everything and returns it.
    pub fn finish(mut self) -> String {
        let mut out = String::new();
        self.flush_into(&mut out);
        out
    }

    /// Mirrors `(*Writer).format`: finds each block of consecutive lines that have a cell in
    /// the current column, sizes the column over that block, and recurses to the right.
    fn format(
        &mut self,
        lines: &[Vec<&str>],
        mut line0: usize,
        line1: usize,
        widths: &mut Vec<usize>,
        out: &mut String,
    ) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= lines[this].len() {
                this += 1;
                continue;
            }
            write_lines(&lines[line0..this], widths, out);
            line0 = this;
            let mut width = self.min_width;
            while this < line1 && column + 1 < lines[this].len() {
                width = width.max(cell_width(lines[this][column]) + self.padding);
                this += 1;
            }
            if let Some(remembered) = self.remembered.as_mut() {
                if remembered.len() <= column {
                    remembered.resize(column + 1, 0);
                }
                width = width.max(remembered[column]);
                remembered[column] = width;
            }
            widths.push(width);
            self.format(lines, line0, this, widths, out);
            widths.pop();
            line0 = this;
        }
        write_lines(&lines[line0..line1], widths, out);
    }
}

/// Splits one line (with its newline, if any) into tab-terminated cells plus the trailing
/// cell; the newline stays on the trailing cell.
fn split_cells(line: &str) -> Vec<&str> {
    line.split('\t').collect()
}

fn cell_width(cell: &str) -> usize {
    cell.trim_end_matches('\n').chars().count()
}

fn write_lines(lines: &[Vec<&str>], widths: &[usize], out: &mut String) {
    for line in lines {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j + 1 < line.len() {
                let w = widths.get(j).copied().unwrap_or(0);
                for _ in cell_width(cell)..w {
                    out.push(' ');
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_widths_carry_over_flushes_and_only_grow() {
        let mut w = for_get().remembering_widths();
        let mut out = String::new();
        w.write("NAME\tREADY\tSTATUS\n");
        w.write("web-1\t1/1\tRunning\n");
        w.flush_into(&mut out);
        w.write("w\t0/1\tPending\n");
        w.flush_into(&mut out);
        w.write("web-12345678\t0/1\tTerminating\n");
        w.flush_into(&mut out);
        w.write("x\t1/1\tRunning\n");
        w.flush_into(&mut out);
        assert_eq!(
            out,
            "NAME    READY   STATUS\n\
             web-1   1/1     Running\n\
             w       0/1     Pending\n\
             web-12345678   0/1     Terminating\n\
             x              1/1     Running\n"
        );
    }

    #[test]
    fn get_tables_pad_by_three_with_a_minimum_of_six() {
        let mut w = for_get();
        w.write("NAME\tDESIRED\tCURRENT\tREADY\tAGE\n");
        w.write("ngx-dep-5d8f7c9b4\t4\t4\t4\t20s\n");
        assert_eq!(
            w.finish(),
            "NAME                DESIRED   CURRENT   READY   AGE\n\
             ngx-dep-5d8f7c9b4   4         4         4       20s\n"
        );
    }

    #[test]
    fn a_line_without_a_cell_in_a_column_ends_that_columns_block() {
        // As `kubectl describe`: "Name:" aligns with "Selector:", but "Pod Template:" ends
        // the block and the indented lines below form their own.
        let mut w = for_describe();
        w.write("Name:\tngx\nSelector:\tapp=ngx\nPod Template:\n  Labels:\tapp=ngx\n");
        w.write("  Containers:\n   nginx:\n    Image:\tnginx\n    Port:\t80/TCP\n");
        assert_eq!(
            w.finish(),
            "Name:      ngx\nSelector:  app=ngx\nPod Template:\n  Labels:  app=ngx\n  \
             Containers:\n   nginx:\n    Image:  nginx\n    Port:   80/TCP\n"
        );
    }

    #[test]
    fn nested_columns_are_sized_within_their_parent_block() {
        // Go's own example shape: the second column block is only the lines that have it.
        let mut w = TabWriter::new(0, 1);
        w.write("a\tb\tc\naa\tbbb\ncccc\tddd\teee\n");
        assert_eq!(w.finish(), "a    b c\naa   bbb\ncccc ddd eee\n");
    }

    #[test]
    fn text_after_the_last_newline_is_kept() {
        let mut w = for_describe();
        w.write("A:\tb\nlast");
        assert_eq!(w.finish(), "A:  b\nlast");
    }
}
