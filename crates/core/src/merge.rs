//! The three-way merge of card text, for the editor (a save made from an older revision)
//! and for the content folder (a file and the app both changed since the last sync).
//! Line by line, with diffy: edits to different lines are both kept; the same lines
//! changed differently on both sides are a conflict, for a person to settle.

use std::time::Duration;

use similar::{Algorithm, DiffOp, TextDiff};

/// Why two edits were not merged; either way a person settles it with both texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("both sides changed the same lines")]
    Overlap,
    #[error("the texts are too long and too different to merge line by line")]
    TooDifferent,
}

/// diffy finds the shortest edit script (Myers), in time proportional to the lines of
/// both texts times the lines changed: two rewrites of a 1 MB card took 47 s, in the
/// write transaction the editor holds. Past this many line steps per side (about
/// 0.2 s), the edits are a conflict instead.
const MAX_MERGE_STEPS: usize = 50_000_000;
/// How long the estimate of those steps may take: a diff that does not finish in this
/// time counts its unfinished part as all changed.
const ESTIMATE_TIME: Duration = Duration::from_millis(100);

/// Merges `ours` and `theirs`, two edits of `base`.
pub fn merge(base: &str, ours: &str, theirs: &str) -> Result<String, Conflict> {
    // One side unchanged (or both changed alike): nothing to merge.
    if ours == base || ours == theirs {
        return Ok(theirs.to_owned());
    }
    if theirs == base {
        return Ok(ours.to_owned());
    }
    if steps(base, ours) > MAX_MERGE_STEPS || steps(base, theirs) > MAX_MERGE_STEPS {
        return Err(Conflict::TooDifferent);
    }
    diffy::merge(base, ours, theirs).map_err(|_with_markers| Conflict::Overlap)
}

/// An upper bound on the steps diffy takes to diff two texts: their lines times the
/// lines changed between them, found by a line diff that stops at [`ESTIMATE_TIME`].
fn steps(old: &str, new: &str) -> usize {
    let diff = TextDiff::configure().algorithm(Algorithm::Myers).timeout(ESTIMATE_TIME).diff_lines(old, new);
    let changed: usize = diff
        .ops()
        .iter()
        .map(|op| match *op {
            DiffOp::Equal { .. } => 0,
            DiffOp::Delete { old_len, .. } => old_len,
            DiffOp::Insert { new_len, .. } => new_len,
            DiffOp::Replace { old_len, new_len, .. } => old_len + new_len,
        })
        .sum();
    (diff.old_slices().len() + diff.new_slices().len()).saturating_mul(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "Step one: look.\nStep two: think.\nStep three: act.\n";

    #[test]
    fn edits_to_different_lines_are_both_kept() {
        let ours = BASE.replace("look", "look around");
        let theirs = BASE.replace("act", "act fast");
        assert_eq!(
            merge(BASE, &ours, &theirs).unwrap(),
            "Step one: look around.\nStep two: think.\nStep three: act fast.\n"
        );
    }

    #[test]
    fn the_same_lines_changed_differently_conflict() {
        let ours = BASE.replace("think", "think twice");
        let theirs = BASE.replace("think", "ask a colleague");
        assert_eq!(merge(BASE, &ours, &theirs), Err(Conflict::Overlap));
    }

    /// Two rewrites of a long card: diffy alone took 47 s for 1 MB (minutes for 2 MB).
    #[test]
    fn long_texts_rewritten_on_both_sides_conflict_in_bounded_time() {
        let text =
            |side: &str| -> String { (0..30_000).map(|i| format!("line {side} {i} of a long card\n")).collect() };
        let (base, ours, theirs) = (text("a"), text("b"), text("c"));
        let started = std::time::Instant::now();
        assert_eq!(merge(&base, &ours, &theirs), Err(Conflict::TooDifferent));
        assert!(started.elapsed() < ESTIMATE_TIME * 10, "{:?}", started.elapsed());
    }

    /// A long card edited at both ends still merges: the cost is in the lines changed.
    #[test]
    fn small_edits_to_a_long_text_still_merge() {
        let base: String = (0..50_000).map(|i| format!("line {i} of a long card\n")).collect();
        let ours = base.replacen("line 0 of", "line zero of", 1);
        let theirs = base.replacen("line 49999 of", "the last line of", 1);
        let merged = merge(&base, &ours, &theirs).unwrap();
        assert!(merged.starts_with("line zero of") && merged.ends_with("the last line of a long card\n"));
    }

    #[test]
    fn the_same_edit_on_both_sides_is_taken_once() {
        let edit = BASE.replace("act", "act fast");
        assert_eq!(merge(BASE, &edit, &edit).unwrap(), edit);
    }
}
