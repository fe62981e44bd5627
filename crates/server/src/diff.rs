//! Differences between two revisions: lines, and within changed lines the words that
//! changed (similar's inline diff).

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub text: String,
    /// True for the words that differ inside a changed line.
    pub changed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// `equal`, `delete` or `insert`.
    pub op: &'static str,
    /// 1-based line numbers in the old and new text.
    pub old: Option<usize>,
    pub new: Option<usize>,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub insertions: usize,
    pub deletions: usize,
}

pub fn lines(old: &str, new: &str) -> (Vec<Line>, Stats) {
    let diff = TextDiff::from_lines(old, new);
    let mut out = Vec::new();
    let mut stats = Stats::default();
    for op in diff.ops() {
        for change in diff.iter_inline_changes(op) {
            let tag = match change.tag() {
                ChangeTag::Equal => "equal",
                ChangeTag::Delete => {
                    stats.deletions += 1;
                    "delete"
                }
                ChangeTag::Insert => {
                    stats.insertions += 1;
                    "insert"
                }
            };
            let segments = change
                .iter_strings_lossy()
                .map(|(changed, text)| Segment { text: text.trim_end_matches('\n').to_owned(), changed })
                .filter(|s| !s.text.is_empty() || !s.changed)
                .collect();
            out.push(Line {
                op: tag,
                old: change.old_index().map(|i| i + 1),
                new: change.new_index().map(|i| i + 1),
                segments,
            });
        }
    }
    (out, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_carry_the_changed_words() {
        let (lines, stats) = lines("one\ntwo three\nfour\n", "one\ntwo 3\nfour\nfive\n");
        assert_eq!(stats, Stats { insertions: 2, deletions: 1 });
        let ops: Vec<&str> = lines.iter().map(|l| l.op).collect();
        assert_eq!(ops, vec!["equal", "delete", "insert", "equal", "insert"]);
        let inserted = &lines[2];
        assert_eq!(inserted.new, Some(2));
        assert!(inserted.segments.iter().any(|s| s.changed && s.text == "3"), "{inserted:?}");
        assert!(inserted.segments.iter().any(|s| !s.changed && s.text.starts_with("two")), "{inserted:?}");
    }

    #[test]
    fn identical_texts_have_no_changes() {
        let (lines, stats) = lines("a\nb\n", "a\nb\n");
        assert_eq!(stats, Stats::default());
        assert!(lines.iter().all(|l| l.op == "equal"));
    }
}
