//! Query sets per class, drawn deterministically from the corpus, and their translation
//! into each peer's syntax. Every engine gets the same words with the same meaning: any
//! word may match (ranked), a phrase must match in order, a prefix completes the last word.

use std::collections::HashSet;

use serde::Serialize;

use crate::corpus::Doc;
use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    OneWord,
    MultiWord,
    Phrase,
    Prefix,
    Typo,
    /// A card's title as it is written (the `sentences` corpus).
    Title,
}

impl Class {
    pub const ALL: [Class; 6] =
        [Class::OneWord, Class::MultiWord, Class::Phrase, Class::Prefix, Class::Typo, Class::Title];
    /// What `generate` draws (every corpus but `sentences`).
    pub const GENERATED: [Class; 5] = [Class::OneWord, Class::MultiWord, Class::Phrase, Class::Prefix, Class::Typo];
    /// What `generate_sentences` draws: one word, two words, a title, a three-word phrase.
    pub const SENTENCES: [Class; 4] = [Class::OneWord, Class::MultiWord, Class::Title, Class::Phrase];

    pub fn name(self) -> &'static str {
        match self {
            Class::OneWord => "one-word",
            Class::MultiWord => "multi-word",
            Class::Phrase => "phrase",
            Class::Prefix => "prefix",
            Class::Typo => "typo",
            Class::Title => "title",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub class: Class,
    /// What a person types into Verity's search box.
    pub text: String,
}

/// Too common to make a useful query word (and dropped by most stemmers' stop lists).
const STOP: [&str; 40] = [
    "the", "of", "and", "to", "a", "in", "is", "for", "on", "with", "by", "that", "this", "are", "be", "as", "or",
    "an", "it", "at", "from", "you", "your", "can", "if", "not", "use", "was", "which", "have", "has", "but", "all",
    "its", "these", "there", "their", "when", "will", "more",
];

/// Lower-case alphabetic words, in order. Words with digits or underscores are skipped:
/// engines split those differently, which would measure tokenizers, not search.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic()))
        .map(str::to_ascii_lowercase)
        .collect()
}

fn is_stop(w: &str) -> bool {
    STOP.contains(&w)
}

/// `per_class` queries of each class. Each query comes from one card, so it has at least
/// one good answer (typos excepted: their answer is the card with the word spelled right).
pub fn generate(docs: &[Doc], per_class: usize, seed: u64) -> Vec<Query> {
    let mut rng = Rng::new(seed);
    // The words of a sample of cards, to tell a made-up typo from a real word.
    let mut known: HashSet<String> = HashSet::new();
    for _ in 0..docs.len().min(5000) {
        if let Some(d) = rng.pick(docs) {
            known.extend(words(&d.title));
            known.extend(words(head(&d.text)));
        }
    }
    let mut out = Vec::new();
    for class in Class::GENERATED {
        let mut seen = HashSet::new();
        for _ in 0..per_class * 50 {
            if seen.len() >= per_class {
                break;
            }
            let Some(doc) = rng.pick(docs) else { break };
            let mut ws = words(&doc.title);
            ws.extend(words(head(&doc.text)));
            if let Some(text) = make(class, &ws, &known, &mut rng)
                && seen.insert(text.clone())
            {
                out.push(Query { class, text });
            }
        }
    }
    out
}

/// The first few kilobytes: enough words, and a large page does not slow generation.
fn head(text: &str) -> &str {
    let mut end = text.len().min(4000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn make(class: Class, ws: &[String], known: &HashSet<String>, rng: &mut Rng) -> Option<String> {
    let content: Vec<&String> = ws.iter().filter(|w| w.len() >= 4 && !is_stop(w)).collect();
    match class {
        Class::OneWord => rng.pick(&content).map(|w| w.to_string()),
        Class::MultiWord => {
            let n = 2 + rng.below(2);
            let mut picked: Vec<&str> = Vec::new();
            for _ in 0..n * 4 {
                let w = rng.pick(&content)?;
                if !picked.contains(&w.as_str()) {
                    picked.push(w);
                }
                if picked.len() == n {
                    break;
                }
            }
            (picked.len() == n).then(|| picked.join(" "))
        }
        Class::Phrase => {
            // Two adjacent content words, as they appear in the card.
            let pairs: Vec<(&String, &String)> = ws
                .windows(2)
                .filter(|p| p.iter().all(|w| w.len() >= 3 && !is_stop(w)) && p[0] != p[1])
                .map(|p| (&p[0], &p[1]))
                .collect();
            rng.pick(&pairs).map(|(a, b)| format!("\"{a} {b}\""))
        }
        Class::Prefix => {
            let first = rng.pick(&content)?;
            let long: Vec<&&String> = content.iter().filter(|w| w.len() >= 6 && w.as_str() != first.as_str()).collect();
            let last = rng.pick(&long)?;
            let cut = 3 + rng.below(last.len() - 4);
            Some(format!("{first} {}", &last[..cut]))
        }
        Class::Typo => {
            let long: Vec<&&String> = content.iter().filter(|w| w.len() >= 6).collect();
            let word = rng.pick(&long)?;
            let typo = misspell(word, rng);
            (!known.contains(&typo)).then_some(typo)
        }
        Class::Title => None,
    }
}

/// The `sentences` corpus's four kinds, `per_class` each, as the issue measured them:
/// one content word of a card, two of them, a card's title as written, and three words
/// standing side by side in a card's body as a quoted phrase (common words included).
pub fn generate_sentences(docs: &[Doc], per_class: usize, seed: u64) -> Vec<Query> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for class in Class::SENTENCES {
        let mut seen = HashSet::new();
        for _ in 0..per_class * 50 {
            if seen.len() >= per_class {
                break;
            }
            let Some(doc) = rng.pick(docs) else { break };
            let text = match class {
                Class::Title => Some(doc.title.clone()),
                Class::Phrase => {
                    let ws: Vec<&str> = doc.text.split_whitespace().collect();
                    let triples: Vec<&[&str]> = ws
                        .windows(3)
                        .filter(|t| t.iter().all(|w| w.chars().all(|c| c.is_ascii_alphabetic())))
                        .collect();
                    rng.pick(&triples).map(|t| format!("\"{}\"", t.join(" ").to_ascii_lowercase()))
                }
                Class::MultiWord => {
                    let content: Vec<String> =
                        words(&doc.text).into_iter().filter(|w| w.len() >= 4 && !is_stop(w)).collect();
                    let a = rng.pick(&content).cloned();
                    let b = rng.pick(&content).cloned();
                    a.zip(b).filter(|(a, b)| a != b).map(|(a, b)| format!("{a} {b}"))
                }
                _ => make(class, &words(&doc.text), &HashSet::new(), &mut rng),
            };
            if let Some(text) = text
                && seen.insert(text.clone())
            {
                out.push(Query { class, text });
            }
        }
    }
    out
}

/// One slip of the finger inside the word: two letters swapped, one dropped or one doubled.
fn misspell(word: &str, rng: &mut Rng) -> String {
    let mut b: Vec<u8> = word.bytes().collect();
    let i = 1 + rng.below(b.len() - 2);
    match rng.below(3) {
        0 => b.swap(i, i + 1),
        1 => {
            b.remove(i);
        }
        _ => b.insert(i, b[i]),
    }
    String::from_utf8(b).unwrap_or_else(|_| word.to_owned())
}

/// The words of a query and whether it is a quoted phrase.
fn parts(text: &str) -> (Vec<String>, bool) {
    let t = text.trim();
    let phrase = t.len() >= 2 && t.starts_with('"') && t.ends_with('"');
    (words(t), phrase)
}

/// The FTS5 MATCH expression (every word quoted, so none is read as an operator).
pub fn fts5(class: Class, text: &str) -> Option<String> {
    let (ws, phrase) = parts(text);
    if ws.is_empty() {
        return None;
    }
    if phrase {
        return Some(format!("\"{}\"", ws.join(" ")));
    }
    let last = ws.len() - 1;
    let terms: Vec<String> = ws
        .iter()
        .enumerate()
        .map(|(i, w)| if class == Class::Prefix && i == last { format!("\"{w}\"*") } else { format!("\"{w}\"") })
        .collect();
    Some(terms.join(" OR "))
}

/// The argument for PostgreSQL's `to_tsquery('english', …)` (alphabetic words only, so
/// nothing needs escaping).
pub fn tsquery(class: Class, text: &str) -> Option<String> {
    let (ws, phrase) = parts(text);
    if ws.is_empty() {
        return None;
    }
    if phrase {
        return Some(ws.join(" <-> "));
    }
    let last = ws.len() - 1;
    let terms: Vec<String> = ws
        .iter()
        .enumerate()
        .map(|(i, w)| if class == Class::Prefix && i == last { format!("{w}:*") } else { w.clone() })
        .collect();
    Some(terms.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Doc {
        Doc { key: "k".into(), title: "Release checklist".into(), text: text.into(), description: String::new() }
    }

    #[test]
    fn every_class_gets_queries_and_they_repeat_for_a_seed() {
        let docs = vec![
            doc("Deploy the payments service with the pipeline; rollback happens automatically"),
            doc("Quarterly invoices reconciliation for marketplace customers and partners"),
        ];
        let a = generate(&docs, 3, 9);
        assert_eq!(a, generate(&docs, 3, 9));
        for class in Class::GENERATED {
            assert!(a.iter().any(|q| q.class == class), "no {class:?} query in {a:?}");
        }
        for q in a.iter().filter(|q| q.class == Class::Phrase) {
            assert!(q.text.starts_with('"') && q.text.ends_with('"'));
        }
    }

    #[test]
    fn sentence_queries_are_the_four_kinds_and_repeat_for_a_seed() {
        let docs = vec![
            doc("The compiler found a deprecated function in your code. Use the secure version instead."),
            doc("A lambda expression defines an anonymous function object where it is used."),
        ];
        let a = generate_sentences(&docs, 4, 3);
        assert_eq!(a, generate_sentences(&docs, 4, 3));
        for class in Class::SENTENCES {
            assert!(a.iter().any(|q| q.class == class), "no {class:?} query in {a:?}");
        }
        for q in &a {
            let n = q.text.split_whitespace().count();
            match q.class {
                Class::OneWord => assert_eq!(n, 1),
                Class::MultiWord => assert_eq!(n, 2),
                Class::Title => assert_eq!(q.text, "Release checklist"),
                Class::Phrase => {
                    assert_eq!(n, 3);
                    let inner = q.text.trim_matches('"');
                    assert!(docs.iter().any(|d| d.text.to_ascii_lowercase().contains(inner)), "{inner}");
                }
                _ => panic!("{q:?}"),
            }
        }
    }

    #[test]
    fn typos_are_not_real_words() {
        let mut rng = Rng::new(1);
        for _ in 0..50 {
            let t = misspell("pipeline", &mut rng);
            assert_ne!(t, "pipeline");
            assert!(t.len().abs_diff(8) <= 1);
        }
    }

    #[test]
    fn peers_get_the_same_words() {
        assert_eq!(fts5(Class::MultiWord, "deploy Rollback").as_deref(), Some("\"deploy\" OR \"rollback\""));
        assert_eq!(fts5(Class::Phrase, "\"payments service\"").as_deref(), Some("\"payments service\""));
        assert_eq!(fts5(Class::Prefix, "deploy rol").as_deref(), Some("\"deploy\" OR \"rol\"*"));
        assert_eq!(tsquery(Class::Prefix, "deploy rol").as_deref(), Some("deploy | rol:*"));
        assert_eq!(tsquery(Class::Phrase, "\"a b\"").as_deref(), Some("a <-> b"));
        // Operators and punctuation typed by a person never reach the peer's parser.
        assert_eq!(tsquery(Class::OneWord, "c++ & | !"), Some("c".into()));
        assert_eq!(fts5(Class::OneWord, "!!"), None);
    }
}
