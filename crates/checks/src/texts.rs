//! Text that trips up code which slices strings by bytes or assumes one byte, one
//! character, one line ending: combining marks, non-breaking and zero-width spaces,
//! emoji sequences, CJK, right-to-left text, CRLF, a missing final newline, and the
//! Markdown and YAML punctuation our parsers react to.

use proptest::prelude::*;

/// The pieces random texts are made of.
pub const ATOMS: &[&str] = &[
    "a",
    "word",
    "Deploy",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\t",
    "e\u{301}",               // e + combining acute
    "\u{301}",                // a combining mark alone
    "\u{a0}",                 // no-break space
    "\u{200b}",               // zero-width space
    "\u{200d}",               // zero-width joiner
    "\u{feff}",               // byte-order mark
    "\u{202e}",               // right-to-left override
    "👩\u{200d}👩\u{200d}👧", // one emoji of five characters
    "🇳🇱",
    "🚀",
    "漢字",
    "日本語のテキスト",
    "한국어",
    "שלום",
    "مرحبا بالعالم",
    "İ", // lower-cases to two characters
    "ß",
    "ﬁ",
    "Ω",
    "---",
    "...",
    "# ",
    "## ",
    "- ",
    "* ",
    "1. ",
    "> ",
    "```",
    "`",
    "|",
    "[[",
    "]]",
    "[",
    "](",
    ")",
    "<",
    ">",
    "&",
    "\"",
    "'",
    ":",
    ": ",
    "title: ",
    "tags: ",
    "{",
    "}",
    "\\",
    "*",
    "_",
    "~",
    "(",
    "-",
    "\0",
];

/// A text from fuzzer bytes: each byte picks an atom, so the fuzzer explores
/// combinations of awkward pieces rather than mostly invalid UTF-8.
pub fn from_atoms(data: &[u8]) -> String {
    data.iter().map(|b| ATOMS[*b as usize % ATOMS.len()]).collect()
}

/// The bytes as text: as they are when they are UTF-8, else as atoms.
pub fn from_bytes(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(s) => s.to_owned(),
        Err(_) => from_atoms(data),
    }
}

/// Up to `n` texts from one input: the parts between `0xFF` bytes (which UTF-8 never
/// uses), each read with [`from_bytes`]; missing ones are empty.
pub fn split(data: &[u8], n: usize) -> Vec<String> {
    let mut parts: Vec<String> = data.splitn(n, |b| *b == 0xFF).map(from_bytes).collect();
    parts.resize(n, String::new());
    parts
}

/// The inverse of [`split`], to write seeds.
pub fn join(texts: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        if i > 0 {
            out.push(0xFF);
        }
        out.extend_from_slice(t.as_bytes());
    }
    out
}

/// Random texts for property tests: awkward atoms, or any characters at all.
pub fn unicode_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(prop::sample::select(ATOMS), 0..40).prop_map(|atoms| atoms.concat()),
        1 => any::<String>(),
    ]
}

/// Random texts of several lines, some of them shared, as edits of one text are.
pub fn unicode_lines() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        2 => Just("Step one.".to_owned()),
        2 => Just(String::new()),
        1 => Just("Step two: 日本語.".to_owned()),
        4 => unicode_text(),
    ];
    (prop::collection::vec(line, 0..12), prop::bool::ANY, prop::bool::ANY).prop_map(|(lines, crlf, last_newline)| {
        let mut text = lines.join(if crlf { "\r\n" } else { "\n" });
        if last_newline {
            text.push('\n');
        }
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_join_are_inverse() {
        let texts = ["base\n", "", "日本\u{a0}語"];
        assert_eq!(split(&join(&texts), 3), texts);
        assert_eq!(split(b"only one", 3), ["only one", "", ""]);
        assert_eq!(from_atoms(&[0, 1]), "aword");
    }
}
