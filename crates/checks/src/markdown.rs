//! Markdown rendering: no panic, and nothing that runs script survives. The output is
//! read as a browser reads it (html5ever's tokenizer, with the raw-text elements
//! switching it into raw text as the tree builder would), not searched for strings:
//! entities are decoded, attribute names and URL schemes compared as a browser
//! compares them.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use verity_core::markdown;

pub fn check(data: &[u8]) {
    let text = crate::texts::from_bytes(data);
    let plain = markdown::render(&text);
    assert_safe(plain.as_str(), &text);
    // Wiki links resolve to slugs made from what the card says (as a real card's would).
    let linked =
        markdown::render_linked(&text, &|target| Some(verity_core::Slug::from_text(target, "card").into_string()));
    assert_safe(linked.as_str(), &text);
    let _ = markdown::to_text(&text);
    let _ = markdown::headings(&text);
    let _ = markdown::wikilinks(&text);
    let _ = markdown::without_title_heading(&text, "Title");
}

/// Panics, naming the Markdown, if the HTML could run script or break out of the page's
/// rules (inline styles, ids outside the card's prefix, inputs other than check boxes).
pub fn assert_safe(html: &str, markdown: &str) {
    let problems = problems(html);
    assert!(problems.is_empty(), "{}\nin {html:?}\nrendered from {markdown:?}", problems.join("; "));
}

/// What is wrong with the HTML, if anything.
pub fn problems(html: &str) -> Vec<String> {
    let sink = Sink::default();
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.problems.into_inner()
}

/// Elements whose content a browser reads as raw text (or runs): none may be written.
const RAW_TEXT: [&str; 11] = [
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "template",
];
/// Elements that load or run something elsewhere, or submit.
const ACTIVE: [&str; 11] =
    ["object", "embed", "applet", "form", "base", "meta", "link", "frame", "frameset", "svg", "math"];
/// Attributes holding a URL.
const URL_ATTRIBUTES: [&str; 16] = [
    "href",
    "src",
    "action",
    "formaction",
    "cite",
    "poster",
    "background",
    "longdesc",
    "data",
    "codebase",
    "ping",
    "manifest",
    "usemap",
    "lowsrc",
    "dynsrc",
    "xlink:href",
];

#[derive(Default)]
struct Sink {
    problems: RefCell<Vec<String>>,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let Token::TagToken(tag) = token else { return TokenSinkResult::Continue };
        if tag.kind == TagKind::EndTag {
            return TokenSinkResult::Continue;
        }
        let mut problems = self.problems.borrow_mut();
        let name: &str = &tag.name;
        if RAW_TEXT.contains(&name) || ACTIVE.contains(&name) {
            problems.push(format!("a <{name}> element"));
        }
        for attr in &tag.attrs {
            let attr_name = match &attr.name.prefix {
                Some(prefix) => format!("{}:{}", &**prefix, &*attr.name.local),
                None => attr.name.local.to_string(),
            };
            let value: &str = &attr.value;
            if attr_name.starts_with("on") {
                problems.push(format!("an event handler `{attr_name}` on <{name}>"));
            }
            if attr_name == "style" || attr_name == "srcdoc" || attr_name == "srcset" {
                problems.push(format!("a `{attr_name}` attribute on <{name}>"));
            }
            if URL_ATTRIBUTES.contains(&attr_name.as_str()) {
                if let Some(scheme) = scheme(value).filter(|s| ["javascript", "vbscript", "data"].contains(&s.as_str()))
                {
                    let allowed_image = name == "img" && attr_name == "src" && is_allowed_image(value);
                    if !allowed_image {
                        problems.push(format!("a `{scheme}:` URL in `{attr_name}` on <{name}>"));
                    }
                }
                if attr_name == "href" && value.starts_with('#') && !value.starts_with("#user-content-") {
                    problems.push(format!("an in-page link `{value}` outside the card's ids"));
                }
            }
            if attr_name == "id" && !value.starts_with("user-content-") {
                problems.push(format!("an id `{value}` without the card's prefix"));
            }
        }
        if name == "input" {
            let attr = |n: &str| tag.attrs.iter().find(|a| &*a.name.local == n).map(|a| a.value.to_string());
            if attr("type").as_deref() != Some("checkbox") || attr("disabled").is_none() {
                problems.push("an <input> that is not a disabled check box".into());
            }
        }
        // What the tree builder would tell the tokenizer: the rest is raw text.
        match name {
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
                TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" => TokenSinkResult::Plaintext,
            _ => TokenSinkResult::Continue,
        }
    }
}

/// The URL's scheme, lower-cased, as a browser's URL parser finds it: leading and
/// trailing spaces and control characters dropped, tabs and newlines anywhere ignored.
fn scheme(url: &str) -> Option<String> {
    let cleaned: String =
        url.trim_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let (scheme, _) = cleaned.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// A `data:` image a browser shows and never runs (SVG can carry script).
fn is_allowed_image(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["data:image/png", "data:image/gif", "data:image/jpeg", "data:image/webp"].iter().any(|p| lower.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_sees_what_a_browser_would_run() {
        let bad = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"&#106;avascript:alert(1)\">x</a>",
            "<a href=\" java\tscript:alert(1)\">x</a>",
            "<a href=\"VBScript:x\">x</a>",
            "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
            "<iframe src=\"https://example.com\"></iframe>",
            "<p style=\"color:red\">x</p>",
            "<h1 id=\"main\">x</h1>",
            "<a href=\"#main\">x</a>",
            "<input type=\"text\">",
            "<svg><a xlink:href=\"javascript:alert(1)\">x</a></svg>",
        ];
        for html in bad {
            assert!(!problems(html).is_empty(), "{html} passed");
        }
        let good = [
            "<p>javascript: is only text here, <code>onerror=</code> too</p>",
            "<a href=\"https://example.com/javascript:x\" rel=\"nofollow\">x</a>",
            "<a href=\"/search?q=data:x\">x</a>",
            "<img src=\"data:image/png;base64,iVBORw0KGgo=\">",
            "<h2 id=\"user-content-intro\">Intro</h2><a href=\"#user-content-intro\">up</a>",
            "<input type=\"checkbox\" disabled=\"\" checked=\"\">",
            "<textarea-like>not an element we know</textarea-like>",
        ];
        for html in good {
            assert_eq!(problems(html), Vec::<String>::new(), "{html}");
        }
        // Inside a script's raw text a tag is text, as in a browser: one problem, not two.
        assert_eq!(problems("<script><img src=x onerror=alert(1)></script>").len(), 1);
    }
}
