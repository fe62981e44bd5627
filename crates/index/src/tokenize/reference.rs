//! The tokenizer as it was before [`super::WordStream`]: a list of tokens, each with its
//! own `String`. Kept only for the tests, which check the stream yields the same tokens.

use tantivy::tokenizer::Token;

use super::{Emit, compound_end, is_cjk, is_plain_word, is_word_char, run_end};

/// All tokens of `text`, with positions and byte offsets.
pub fn tokens(text: &str, emit: Emit) -> Vec<Token> {
    // About one token per six bytes of prose: one allocation instead of a dozen regrowths.
    let mut out = Vec::with_capacity(text.len() / 6);
    let mut position = 0;
    let mut rest = 0;
    while let Some((start, c)) = text[rest..].char_indices().next().map(|(i, c)| (rest + i, c)) {
        if is_cjk(c) {
            let end = run_end(text, start, is_cjk);
            if emit != Emit::Whole {
                bigrams(text, start, end, &mut position, &mut out);
            }
            rest = end;
        } else if is_word_char(c) {
            let end = compound_end(text, start);
            compound(text, start, end, emit, &mut position, &mut out);
            rest = end;
        } else {
            rest = start + c.len_utf8();
        }
    }
    out
}

fn token(text: &str, from: usize, to: usize, position: usize) -> Token {
    Token { offset_from: from, offset_to: to, position, text: text[from..to].to_owned(), position_length: 1 }
}

fn compound(text: &str, start: usize, end: usize, emit: Emit, position: &mut usize, out: &mut Vec<Token>) {
    // Most words are a single part: no joiner inside, no capital after the first letter.
    // They skip splitting, which allocates (indexing cpp-docs spent a third of its time
    // in this tokenizer).
    if is_plain_word(&text[start..end]) {
        if emit != Emit::Whole {
            out.push(token(text, start, end, *position));
            *position += 1;
        }
        return;
    }
    let parts = parts(text, start, end);
    let first = *position;
    if parts.len() > 1 && emit != Emit::Parts {
        // The parts run together, without the joiners: `on-call` is also found as
        // `oncall`, `e-mail` as `email`.
        let mut whole = token(text, start, end, first);
        whole.text = parts.iter().map(|(from, to)| &text[*from..*to]).collect();
        whole.position_length = parts.len();
        out.push(whole);
    }
    if parts.len() == 1 && emit == Emit::Whole {
        return;
    }
    for (from, to) in parts {
        if emit != Emit::Whole {
            out.push(token(text, from, to, *position));
        }
        *position += 1;
    }
}

/// The byte ranges of a compound's parts: its word runs, each split at case changes
/// (`getElementById` → get Element By Id, `HTMLParser` → HTML Parser).
fn parts(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let run = run_end(&text[..end], at, is_word_char);
        camel_parts(text, at, run, &mut out);
        at = run_end(&text[..end], run, |c| !is_word_char(c));
    }
    out
}

fn camel_parts(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let chars: Vec<(usize, char)> = text[start..end].char_indices().map(|(i, c)| (start + i, c)).collect();
    let mut from = start;
    for i in 1..chars.len() {
        let (prev, (at, cur)) = (chars[i - 1].1, chars[i]);
        let next_lower = chars.get(i + 1).is_some_and(|(_, n)| n.is_lowercase());
        // fooBar → foo|Bar;  HTMLParser → HTML|Parser.
        let boundary =
            (prev.is_lowercase() && cur.is_uppercase()) || (prev.is_uppercase() && cur.is_uppercase() && next_lower);
        if boundary {
            out.push((from, at));
            from = at;
        }
    }
    out.push((from, end));
}

fn bigrams(text: &str, start: usize, end: usize, position: &mut usize, out: &mut Vec<Token>) {
    let chars: Vec<usize> = text[start..end].char_indices().map(|(i, _)| start + i).chain([end]).collect();
    if chars.len() == 2 {
        out.push(token(text, start, end, *position));
        *position += 1;
        return;
    }
    for w in chars.windows(3) {
        out.push(token(text, w[0], w[2], *position));
        *position += 1;
    }
}
