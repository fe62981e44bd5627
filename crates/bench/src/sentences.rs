//! The `sentences:N` corpus: cards of about 230 words made of real sentences, so the
//! benchmark sees real text with common words. Each card takes a run of consecutive
//! sentences from one cpp-docs page (then from another, until it is long enough) and
//! that page's title. Deterministic for a seed and a set of pages.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;

use crate::corpus::{COLLECTIONS, Doc};
use crate::rng::Rng;

/// A card's body is about this many words (200–259).
const WORDS_MIN: usize = 200;
const WORDS_SPREAD: usize = 60;

/// The pages' sentences, grouped by page, each sentence once.
pub struct Sentences {
    /// (page title, its sentences in order); pages without sentences are left out.
    pages: Vec<(String, Vec<String>)>,
}

impl Sentences {
    /// Splits each page's text into sentences; keeps those that read like prose (6–40
    /// words, mostly alphabetic, starting with a capital) and the first copy of each.
    pub fn from_pages(pages: &[Doc]) -> Sentences {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for page in pages {
            let title = page.title.split_whitespace().collect::<Vec<_>>().join(" ");
            if title.is_empty() {
                continue;
            }
            let sentences: Vec<String> =
                split(&page.text).into_iter().filter(|s| is_prose(s) && seen.insert(s.clone())).collect();
            if !sentences.is_empty() {
                out.push((title, sentences));
            }
        }
        Sentences { pages: out }
    }

    pub fn len(&self) -> usize {
        self.pages.iter().map(|(_, s)| s.len()).sum()
    }

    /// Card `i`: (title, body as paragraphs separated by blank lines).
    fn card(&self, rng: &mut Rng) -> (String, String) {
        let target = WORDS_MIN + rng.below(WORDS_SPREAD);
        let first = rng.below(self.pages.len());
        let title = self.pages[first].0.clone();
        let (mut page, mut at) = (first, rng.below(self.pages[first].1.len()));
        let (mut body, mut words, mut in_paragraph) = (String::new(), 0, 0);
        let mut paragraph_len = 3 + rng.below(3);
        while words < target {
            let sentences = &self.pages[page].1;
            let Some(sentence) = sentences.get(at) else {
                // This page is used up: carry on in another.
                page = rng.below(self.pages.len());
                at = rng.below(self.pages[page].1.len());
                continue;
            };
            if in_paragraph == paragraph_len {
                body.push_str("\n\n");
                in_paragraph = 0;
                paragraph_len = 3 + rng.below(3);
            } else if in_paragraph > 0 {
                body.push(' ');
            }
            body.push_str(sentence);
            words += sentence.split_whitespace().count();
            in_paragraph += 1;
            at += 1;
        }
        body.push('\n');
        (title, body)
    }

    /// `n` cards as Markdown files under `folder` (wiped first), laid out like the
    /// generated corpus (collection folders, at most 1,000 files per subfolder).
    pub fn write(&self, n: usize, seed: u64, folder: &Path) -> anyhow::Result<Vec<Doc>> {
        anyhow::ensure!(!self.pages.is_empty(), "no sentences to build cards from");
        if folder.exists() {
            std::fs::remove_dir_all(folder)?;
        }
        let mut rng = Rng::new(seed);
        let mut docs = Vec::with_capacity(n);
        for i in 0..n {
            let (title, body) = self.card(&mut rng);
            let collection = COLLECTIONS[i % COLLECTIONS.len()];
            let rel = format!("{collection}/{:04}/card-{i:07}.md", i / (1000 * COLLECTIONS.len()));
            let path = folder.join(&rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            // A JSON string is a YAML double-quoted scalar: titles with colons or quotes stay titles.
            let file = format!("---\ntitle: {}\n---\n{body}", serde_json::to_string(&title)?);
            std::fs::write(&path, file).with_context(|| format!("writing {}", path.display()))?;
            let key = verity_content::slug_for_path(&rel).to_string();
            docs.push(Doc { key, title, text: body, description: String::new() });
        }
        Ok(docs)
    }
}

/// Sentences end with `.`, `!` or `?` before whitespace, or at a line break.
fn split(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut start = 0;
        let bytes = line.as_bytes();
        for (i, c) in line.char_indices() {
            let ends = matches!(c, '.' | '!' | '?') && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace());
            if ends {
                push_sentence(&mut out, &line[start..=i]);
                start = i + 1;
            }
        }
        push_sentence(&mut out, &line[start..]);
    }
    out
}

fn push_sentence(out: &mut Vec<String>, s: &str) {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if !s.is_empty() {
        out.push(s);
    }
}

/// 6–40 words, a capital first, ending like a sentence, and at least four in five words
/// plain (letters, perhaps with a comma or full stop after): not code, not a table row.
fn is_prose(s: &str) -> bool {
    let words: Vec<&str> = s.split_whitespace().collect();
    if !(6..=40).contains(&words.len()) || !s.starts_with(|c: char| c.is_ascii_uppercase()) {
        return false;
    }
    if !s.ends_with(['.', '!', '?']) {
        return false;
    }
    let plain = words
        .iter()
        .filter(|w| {
            let w = w.trim_end_matches([',', '.', ';', ':', '!', '?']);
            !w.is_empty() && w.chars().all(|c| c.is_ascii_alphabetic() || c == '\'' || c == '-')
        })
        .count();
    plain * 5 >= words.len() * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(title: &str, text: &str) -> Doc {
        Doc { key: title.to_lowercase(), title: title.into(), text: text.into(), description: String::new() }
    }

    fn pages() -> Vec<Doc> {
        vec![
            page(
                "Compiler warning C4996",
                "The compiler found a deprecated function in your code. You can turn the warning off with a pragma. \
                 int x = f(y); // code is not prose\n| a | b | c | d | e | f |\n\
                 Some functions were marked deprecated in the standard library. Use the secure version of the function instead.",
            ),
            page(
                "Lambda expressions in C++",
                "A lambda expression defines an anonymous function object right where it is used. \
                 The capture clause says which variables from the enclosing scope are visible. \
                 Short.\nYou can turn the warning off with a pragma.",
            ),
        ]
    }

    #[test]
    fn sentences_are_prose_and_each_is_kept_once() {
        let s = Sentences::from_pages(&pages());
        let all: Vec<&String> = s.pages.iter().flat_map(|(_, ss)| ss).collect();
        assert_eq!(s.len(), 6, "{all:?}");
        assert!(all.iter().all(|x| is_prose(x)));
        assert!(!all.iter().any(|x| x.contains("int x")));
        // The repeated sentence is kept only where it first appeared.
        assert_eq!(all.iter().filter(|x| x.starts_with("You can turn")).count(), 1);
    }

    #[test]
    fn cards_are_deterministic_long_enough_and_importable() {
        let s = Sentences::from_pages(&pages());
        let dir = std::env::temp_dir().join(format!("verity-bench-sentences-{}", std::process::id()));
        let a = s.write(25, 5, &dir).unwrap();
        let b = s.write(25, 5, &dir).unwrap();
        let c = s.write(25, 6, &dir).unwrap();
        assert_eq!(a.len(), 25);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((&x.key, &x.title, &x.text), (&y.key, &y.title, &y.text));
        }
        assert!(a.iter().zip(&c).any(|(x, y)| x.text != y.text), "another seed, other cards");
        for d in &a {
            let words = d.text.split_whitespace().count();
            assert!((WORDS_MIN..WORDS_MIN + WORDS_SPREAD + 40).contains(&words), "{words} words");
            assert!(["Compiler warning C4996", "Lambda expressions in C++"].contains(&d.title.as_str()));
        }
        // The importer reads every file, with its title, and its slugs are the keys.
        let scan = verity_content::scan(&dir);
        assert!(scan.errors.is_empty(), "{:?}", scan.errors);
        let mut found: Vec<(String, String)> =
            scan.files.iter().map(|f| (f.slug.to_string(), f.draft.title.clone())).collect();
        let mut expected: Vec<(String, String)> = c.iter().map(|d| (d.key.clone(), d.title.clone())).collect();
        found.sort();
        expected.sort();
        assert_eq!(found, expected);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
