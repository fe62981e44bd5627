//! What one search may ask for.
//!
//! A query reaches tantivy's parser (recursive: one stack frame per nesting level) and
//! the planner, typo tolerance and count searches (work per word, per range). Unbounded,
//! one URL could overflow a thread's stack with nested parentheses, or cost seconds with
//! thousands of range clauses or unknown words. [`check`] reads the text once, without
//! recursion, before anything else sees it, and refuses what is over a limit no person
//! typing a search comes near.

use std::fmt;

/// Characters in a query (a pasted error message is a few hundred).
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Words in a query: runs of letters and digits (`std::vector` is two).
pub const MAX_QUERY_WORDS: usize = 64;
/// How deep parentheses may nest.
pub const MAX_NESTING: usize = 8;
/// Range clauses (`body:[a TO m]`, `title:>x`, `tags:IN [a b]`): each walks the term
/// dictionary between its bounds and reads the postings of every word there
/// (`body:[aaa TO zzz]`, every word of every card, took about 200 ms at 100,000 cards).
pub const MAX_RANGES: usize = 1;

/// Field names a range may follow (the only ones the parser is given).
const FIELDS: [&str; 4] = ["title", "headings", "tags", "body"];

/// A query over one of the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooComplex {
    pub limit: Limit,
    /// What the limit allows.
    pub max: usize,
    /// What the query has.
    pub found: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Chars,
    Words,
    Nesting,
    Ranges,
}

impl fmt::Display for TooComplex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (max, found) = (thousands(self.max), thousands(self.found));
        match self.limit {
            Limit::Chars => write!(f, "a search may have at most {max} characters; this one has {found}"),
            Limit::Words => write!(f, "a search may have at most {max} words; this one has {found}"),
            Limit::Nesting => {
                write!(f, "a search may nest parentheses at most {max} deep; this one nests them {found} deep")
            }
            Limit::Ranges => {
                let ranges = if self.max == 1 { "range" } else { "ranges" };
                write!(f, "a search may have at most {max} {ranges}; this one has {found}")
            }
        }
    }
}

impl std::error::Error for TooComplex {}

/// Refuses a query over any limit; the most telling one is named (30,000 nested
/// parentheses are a nesting problem before they are a length problem).
pub fn check(q: &str) -> Result<(), TooComplex> {
    let over = |limit, max, found| if found > max { Err(TooComplex { limit, max, found }) } else { Ok(()) };
    over(Limit::Nesting, MAX_NESTING, nesting(q))?;
    over(Limit::Ranges, MAX_RANGES, ranges(q))?;
    over(Limit::Words, MAX_QUERY_WORDS, words(q))?;
    over(Limit::Chars, MAX_QUERY_CHARS, q.chars().count())
}

/// The deepest parenthesis nesting (quotes are not looked at: counting a parenthesis in
/// a phrase too only errs on the safe side).
fn nesting(q: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in q.chars() {
        match c {
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Runs of letters and digits.
fn words(q: &str) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in q.chars() {
        let letter = c.is_alphanumeric();
        if letter && !in_word {
            count += 1;
        }
        in_word = letter;
    }
    count
}

/// Range clauses: a field name, a colon and then (after optional spaces) `[`, `{`, `<`,
/// `>` or `IN` (a range without a field is a parse error, and then the query is searched
/// as plain words).
fn ranges(q: &str) -> usize {
    let mut count = 0;
    for (colon, _) in q.match_indices(':') {
        let before = &q[..colon];
        let field = FIELDS.iter().any(|f| {
            before.strip_suffix(f).is_some_and(|rest| !rest.ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        });
        let after = q[colon + 1..].trim_start();
        if field && (after.starts_with(['[', '{', '<', '>']) || after.starts_with("IN ") || after.starts_with("IN[")) {
            count += 1;
        }
    }
    count
}

/// `3000` as `3,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(q: &str) -> Option<(Limit, usize)> {
        check(q).err().map(|e| (e.limit, e.found))
    }

    #[test]
    fn ordinary_queries_pass() {
        for q in [
            "",
            "deploy rollback",
            r#""escalation policy" -staging title:deploy (a OR b) AND c"#,
            "std::vector<std::pair<int, int>> getElementById C2001",
            "title:[a TO m] deploy",
            "检查配置文件",
        ] {
            assert_eq!(check(q), Ok(()), "{q}");
        }
    }

    #[test]
    fn each_limit_is_counted_as_the_parser_would_see_it() {
        assert_eq!(nesting("((a) (b (c)))) (d"), 3);
        assert_eq!(words("std::vector big-house 检查配置 a1"), 6);
        assert_eq!(ranges("title:[a TO b] body: {a TO b} tags:IN [x y] headings:>a body:<=b"), 5);
        assert_eq!(ranges("subtitle:[a TO b] std::vector<int> a > b title:x [a TO b]"), 0);
        assert_eq!(refused(&"(".repeat(9)), Some((Limit::Nesting, 9)));
        assert_eq!(refused("title:[a TO m] OR body:>x"), Some((Limit::Ranges, 2)));
        assert_eq!(refused(&"word ".repeat(65)), Some((Limit::Words, 65)));
        assert_eq!(refused(&"x".repeat(1001)), Some((Limit::Chars, 1001)));
        assert_eq!(refused(&"é".repeat(1000)), None, "characters, not bytes");
    }

    #[test]
    fn messages_name_the_limit_and_the_value() {
        let e = TooComplex { limit: Limit::Words, max: 64, found: 3000 };
        assert_eq!(e.to_string(), "a search may have at most 64 words; this one has 3,000");
        let e = TooComplex { limit: Limit::Ranges, max: 1, found: 2500 };
        assert_eq!(e.to_string(), "a search may have at most 1 range; this one has 2,500");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
