//! The three-way merge (`verity_core::merge`): no panic on any three texts; a side that
//! did not change takes the other side's text whole; the same edit on both sides is
//! taken once; edits to lines apart from each other are both kept.

use verity_core::merge::merge;

/// Three texts, separated by `0xFF` bytes (see [`crate::texts::split`]).
pub fn check(data: &[u8]) {
    let texts = crate::texts::split(data, 3);
    check_texts(&texts[0], &texts[1], &texts[2]);
}

pub fn check_texts(base: &str, ours: &str, theirs: &str) {
    let _ = merge(base, ours, theirs);
    assert_eq!(merge(base, base, theirs).as_deref(), Ok(theirs), "only theirs changed: {base:?} -> {theirs:?}");
    assert_eq!(merge(base, ours, base).as_deref(), Ok(ours), "only ours changed: {base:?} -> {ours:?}");
    assert_eq!(merge(base, ours, ours).as_deref(), Ok(ours), "both made the same edit: {base:?} -> {ours:?}");
    separate_lines_merge(base, ours, theirs);
}

/// Replaces the first line of `base` with one of `ours` and the last with one of
/// `theirs`: with a line between them that neither touched, both edits are kept.
fn separate_lines_merge(base: &str, ours: &str, theirs: &str) {
    let lines: Vec<&str> = base.split_inclusive('\n').collect();
    let (Some(first), Some(last)) = (one_line(ours), one_line(theirs)) else { return };
    // With repeated lines a diff may pair them up another way and see the edits touch:
    // only texts whose lines (edited ones included) are all different have one answer.
    let mut distinct: Vec<&str> = lines.clone();
    distinct.extend([first.as_str(), last.as_str()]);
    distinct.sort_unstable();
    distinct.dedup();
    if lines.len() < 3 || distinct.len() != lines.len() + 2 || !base.ends_with('\n') {
        return;
    }
    let n = lines.len();
    let with = |i: usize, line: &str| -> String {
        lines.iter().enumerate().map(|(j, l)| if j == i { line } else { l }).collect()
    };
    let ours = with(0, &first);
    let theirs = with(n - 1, &last);
    let both: String = lines
        .iter()
        .enumerate()
        .map(|(j, l)| {
            if j == 0 {
                first.as_str()
            } else if j == n - 1 {
                last.as_str()
            } else {
                l
            }
        })
        .collect();
    assert_eq!(merge(base, &ours, &theirs).as_deref(), Ok(both.as_str()), "separate edits of {base:?}");
}

/// The first line of a text, with its newline, unless it has none.
fn one_line(text: &str) -> Option<String> {
    let line = text.split_inclusive('\n').next()?;
    line.ends_with('\n').then(|| line.to_owned())
}
