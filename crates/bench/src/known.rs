//! Known-item queries: a page's title or its front-matter description typed in whole;
//! does that page come back in the top 3? (cpp-docs, where pages have both.)

use std::collections::HashMap;

use serde::Serialize;

use crate::corpus::Doc;
use crate::rng::Rng;

/// How many of the best hits count as found.
pub const TOP: usize = 3;

/// One query set: (what is typed, the key of the page it names).
pub struct KnownItems {
    pub set: &'static str,
    pub queries: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KnownItemResult {
    pub engine: String,
    pub set: String,
    pub queries: usize,
    pub found_in_top_3: usize,
    pub rate: f64,
}

/// Up to `n` titles and `n` descriptions, each one only one page has (a title several
/// pages share names none of them), drawn deterministically.
pub fn sets(docs: &[Doc], n: usize, seed: u64) -> Vec<KnownItems> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for set in ["titles", "descriptions"] {
        let mut count: HashMap<String, usize> = HashMap::new();
        for d in docs {
            *count.entry(normalized(text_of(d, set))).or_default() += 1;
        }
        let mut unique: Vec<(String, String)> = docs
            .iter()
            .map(|d| (text_of(d, set).trim().to_owned(), d.key.clone()))
            .filter(|(t, _)| !t.is_empty() && count[&normalized(t)] == 1)
            .collect();
        // A partial Fisher–Yates shuffle: the first `n` are the sample.
        for i in 0..n.min(unique.len()) {
            let j = i + rng.below(unique.len() - i);
            unique.swap(i, j);
        }
        unique.truncate(n);
        out.push(KnownItems { set, queries: unique });
    }
    out
}

fn text_of<'a>(d: &'a Doc, set: &str) -> &'a str {
    if set == "titles" { &d.title } else { &d.description }
}

fn normalized(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Asks `search` (which answers the best keys, best first) every query of `set`.
pub fn measure(
    engine: &str,
    set: &KnownItems,
    mut search: impl FnMut(&str) -> anyhow::Result<Vec<String>>,
) -> anyhow::Result<KnownItemResult> {
    let mut found = 0;
    for (q, key) in &set.queries {
        if search(q)?.iter().take(TOP).any(|k| k == key) {
            found += 1;
        }
    }
    let queries = set.queries.len();
    let rate = found as f64 / queries.max(1) as f64;
    eprintln!("   {engine:<18} known items, {:<12} {found}/{queries} in the top {TOP} ({rate:.3})", set.set);
    Ok(KnownItemResult { engine: engine.into(), set: set.set.into(), queries, found_in_top_3: found, rate })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(key: &str, title: &str, description: &str) -> Doc {
        Doc { key: key.into(), title: title.into(), text: String::new(), description: description.into() }
    }

    #[test]
    fn only_unique_titles_and_descriptions_are_asked() {
        let docs = vec![
            doc("a", "Lambda expressions", "How lambdas capture."),
            doc("b", "Overview", "What the compiler does."),
            doc("c", "overview ", ""),
            doc("d", "Compiler warning C4996", "What the compiler does."),
        ];
        let sets = sets(&docs, 10, 1);
        let mut titles: Vec<&str> = sets[0].queries.iter().map(|(q, _)| q.as_str()).collect();
        titles.sort();
        assert_eq!(titles, ["Compiler warning C4996", "Lambda expressions"]);
        assert_eq!(sets[1].queries, vec![("How lambdas capture.".to_string(), "a".to_string())]);
        assert_eq!(sets[0].queries.len(), super::sets(&docs, 1, 1)[0].queries.len() + 1);
        let r =
            measure("x", &sets[0], |q| Ok(if q.starts_with("Lambda") { vec!["z".into(), "a".into()] } else { vec![] }))
                .unwrap();
        assert_eq!((r.found_in_top_3, r.queries), (1, 2));
    }
}
