//! Differences between two revisions: lines, and within changed lines the words that
//! changed (similar's inline diff).

use std::time::{Duration, Instant};

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

/// How long one diff may take. The minimal diff of two long, wholly different texts
/// costs time quadratic in their lines (a rewritten 1 MB card: minutes); past this the
/// diff is still correct, only coarser (whole blocks replaced).
const DIFF_TIME: Duration = Duration::from_secs(1);

pub fn lines(old: &str, new: &str) -> (Vec<Line>, Stats) {
    let deadline = Instant::now() + DIFF_TIME;
    let diff = TextDiff::configure().deadline(deadline).diff_lines(old, new);
    let mut out = Vec::new();
    let mut stats = Stats::default();
    for op in diff.ops() {
        for change in diff.iter_inline_changes_deadline(op, Some(deadline)) {
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
                // The line's ending (`\n`, `\r\n` or a lone `\r`) is not part of its text.
                .map(|(changed, text)| Segment { text: text.trim_end_matches(['\r', '\n']).to_owned(), changed })
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
    fn a_long_text_rewritten_whole_is_diffed_in_bounded_time() {
        let text =
            |side: &str| -> String { (0..30_000).map(|i| format!("line {side} {i} of a long card\n")).collect() };
        let (old, new) = (text("a"), text("b"));
        let started = Instant::now();
        let (lines, stats) = lines(&old, &new);
        assert!(started.elapsed() < DIFF_TIME * 5, "{:?}", started.elapsed());
        assert_eq!((stats.deletions, stats.insertions), (30_000, 30_000));
        assert_eq!(lines.len(), 60_000);
    }

    /// A lone `\r` ends a line (as in CommonMark) and is no part of the line's text.
    #[test]
    fn line_endings_are_not_part_of_the_text() {
        let (lines, _) = lines("\ra\r\nb\n", "");
        let texts: Vec<String> = lines.iter().map(|l| l.segments.iter().map(|s| s.text.as_str()).collect()).collect();
        assert_eq!(texts, vec!["", "a", "b"]);
    }

    #[test]
    fn identical_texts_have_no_changes() {
        let (lines, stats) = lines("a\nb\n", "a\nb\n");
        assert_eq!(stats, Stats::default());
        assert!(lines.iter().all(|l| l.op == "equal"));
    }
}
