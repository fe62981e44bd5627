//! The one Markdown pipeline: pulldown-cmark with GitHub-flavoured options, then ammonia.
//!
//! [`render`] is the only way to make a [`SafeHtml`], and `SafeHtml` is the only Markdown
//! output that pages print unescaped.

use std::sync::LazyLock;

use pulldown_cmark::{Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

/// HTML that went through the sanitizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeHtml(String);

impl SafeHtml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Prefix for every `id` in user content, so a card cannot clobber the page's own ids.
const ID_PREFIX: &str = "user-content-";

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
        | Options::ENABLE_WIKILINKS
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("nofollow noopener noreferrer"))
        .id_prefix(Some(ID_PREFIX))
        .add_tags(["input", "del", "sup", "section"])
        .add_generic_attributes(["id"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("a", ["class"])
        .add_tag_attributes("div", ["class"])
        .add_tag_attributes("sup", ["class"])
        .add_tag_attributes("th", ["class"])
        .add_tag_attributes("td", ["class"])
        // Every input is a read-only task-list box: never a text field.
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "")
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Task-list boxes only: no text inputs, no forms.
            ("input", "type") => (value == "checkbox").then(|| value.into()),
            ("input", _) => Some(value.into()),
            // Table alignment, as classes: the Content-Security-Policy forbids inline styles.
            ("th" | "td", "class") => {
                ["align-left", "align-right", "align-center"].contains(&value).then(|| value.into())
            }
            ("code", "class") => value.starts_with("language-").then(|| value.into()),
            ("a", "class") => ["wikilink", "wikilink missing"].contains(&value).then(|| value.into()),
            // Only the footnote classes pulldown-cmark writes: a card cannot dress up
            // as the page's own badges.
            ("div", "class") => (value == "footnote-definition").then(|| value.into()),
            ("sup", "class") => (value == "footnote-reference").then(|| value.into()),
            // In-page links (footnotes) must follow the prefixed ids.
            ("a", "href") if value.starts_with('#') => Some(format!("#{ID_PREFIX}{}", &value[1..]).into()),
            _ => Some(value.into()),
        });
    b
});

/// Renders Markdown to sanitized HTML: no script, no event handlers, no `javascript:` URLs.
/// `[[wiki links]]` are marked unresolved; see [`render_linked`].
pub fn render(markdown: &str) -> SafeHtml {
    render_linked(markdown, &|_| None)
}

/// Renders like [`render`], turning `[[Card title]]` and `[[slug]]` (and `[[target|label]]`)
/// into links to the card `resolve` names, or into links marked `missing`. Past the first
/// [`MAX_WIKILINKS`] distinct targets, wiki links stay as the text they were written as.
pub fn render_linked(markdown: &str, resolve: &dyn Fn(&str) -> Option<String>) -> SafeHtml {
    let mut targets = std::collections::HashSet::new();
    // Whether the wiki link being rendered is plain text (past the cap).
    let mut as_text = false;
    let events = Parser::new_ext(markdown, options()).map(|event| match event {
        Event::Start(Tag::Link { link_type: LinkType::WikiLink { .. }, dest_url, .. }) => {
            let target = dest_url.trim();
            as_text = targets.len() >= MAX_WIKILINKS && !targets.contains(target);
            if as_text {
                return Event::Text("[[".into());
            }
            targets.insert(target.to_owned());
            let (href, class) = match resolve(target) {
                Some(slug) => (format!("/cards/{slug}"), "wikilink"),
                None => (format!("/search?q={}", percent_encode(target)), "wikilink missing"),
            };
            Event::InlineHtml(format!(r#"<a class="{class}" href="{}">"#, escape_attr(&href)).into())
        }
        Event::End(TagEnd::Link) if as_text => {
            as_text = false;
            Event::Text("]]".into())
        }
        Event::End(TagEnd::Link) => Event::InlineHtml("</a>".into()),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    for align in ["left", "right", "center"] {
        html = html.replace(&format!(r#" style="text-align: {align}""#), &format!(r#" class="align-{align}""#));
    }
    SafeHtml(SANITIZER.clean(&html).to_string())
}

/// At most this many distinct `[[wiki links]]` of a card are resolved; the rest render as
/// unresolved links. A person writes a few dozen; tens of thousands only make a save or a
/// preview hold a database connection.
pub const MAX_WIKILINKS: usize = 500;

/// The targets of the card's `[[wiki links]]`, as written, without duplicates, in the
/// order they first appear, at most [`MAX_WIKILINKS`] of them.
pub fn wikilinks(markdown: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Every wiki link opens with `[[`; most cards have none, and parsing a long page
    // only to find that out is a large part of saving it.
    if !markdown.contains("[[") {
        return out;
    }
    let mut seen = std::collections::HashSet::new();
    for event in Parser::new_ext(markdown, options()) {
        if let Event::Start(Tag::Link { link_type: LinkType::WikiLink { .. }, dest_url, .. }) = event {
            let target = dest_url.trim();
            if !target.is_empty() && target.len() <= 300 && seen.insert(target.to_owned()) {
                out.push(target.to_owned());
                if out.len() == MAX_WIKILINKS {
                    break;
                }
            }
        }
    }
    out
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The words of a card as plain text, for the index and for snippets: block elements
/// end with a newline, code keeps its text, markup and URLs are dropped.
pub fn to_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::BlockQuote(_),
            ) if !text.ends_with('\n') => text.push('\n'),
            _ => {}
        }
    }
    text.trim_end().to_owned()
}

/// The body without a leading `# Title` line that repeats the card's title, for places
/// that show the title already (the card page, snippets).
pub fn without_title_heading<'a>(body: &'a str, title: &str) -> &'a str {
    let trimmed = body.trim_start();
    let (first, rest) = trimmed.split_once('\n').unwrap_or((trimmed, ""));
    match first.trim_end().strip_prefix("# ") {
        Some(heading) if heading.trim().eq_ignore_ascii_case(title.trim()) => rest.trim_start_matches(['\r', '\n']),
        _ => body,
    }
}

/// The text of every heading, in order (they weigh more than body text in search).
pub fn headings(markdown: &str) -> Vec<String> {
    headings_up_to(markdown, HeadingLevel::H6, usize::MAX)
}

/// The first level-one heading, used as a title when a file names none.
pub fn first_heading(markdown: &str) -> Option<String> {
    headings_up_to(markdown, HeadingLevel::H1, 1).into_iter().next()
}

fn headings_up_to(markdown: &str, deepest: HeadingLevel, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::Heading { level, .. }) if level <= deepest => current = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = current.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(h) = current.take().map(|h| h.trim().to_owned()).filter(|h| !h.is_empty()) {
                    out.push(h);
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_github_flavoured_markdown() {
        let md = "# Title\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n\n~~old~~ new[^1]\n\n[^1]: A note.\n\n```rust\nfn main() {}\n```\n";
        let html = render(md).into_string();
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains(r#"<th class="align-right">"#), "{html}");
        assert!(!html.contains("style="), "{html}");
        assert!(html.contains(r#"type="checkbox""#) && html.contains("checked"), "{html}");
        assert!(html.contains("<del>old</del>"), "{html}");
        assert!(html.contains(r#"class="language-rust""#), "{html}");
        assert!(html.contains("footnote-definition"), "{html}");
        // Footnote references point at the prefixed id of their definition.
        assert!(html.contains(r##"href="#user-content-1""##), "{html}");
        assert!(html.contains(r#"id="user-content-1""#), "{html}");
    }

    #[test]
    fn script_handlers_and_javascript_urls_are_removed() {
        let md = concat!(
            "<script>alert(1)</script>\n\n",
            "<img src=x onerror=alert(2)>\n\n",
            "[click](javascript:alert(3))\n\n",
            "<a href=\"JaVaScRiPt:alert(4)\">x</a>\n\n",
            "<iframe src=\"https://evil.example\"></iframe>\n\n",
            "<input type=\"text\" onfocus=\"alert(5)\" autofocus>\n\n",
            "<p style=\"background:url(javascript:alert(6))\">s</p>\n",
        );
        let html = render(md).into_string().to_lowercase();
        for bad in ["<script", "onerror", "javascript:", "<iframe", "onfocus", "type=\"text\"", "background"] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
    }

    #[test]
    fn user_content_cannot_borrow_the_pages_classes_or_make_inputs() {
        let html = render(
            "<div class=\"badge badge-verified\">Verified</div>\n\n<sup class=\"pill\">1</sup> <input name=\"q\">",
        )
        .into_string();
        assert!(!html.contains("badge") && !html.contains("pill"), "{html}");
        assert!(html.contains(r#"type="checkbox""#) && html.contains("disabled"), "{html}");
    }

    #[test]
    fn wiki_links_are_deduplicated_and_capped() {
        let many: String = (0..MAX_WIKILINKS + 100).map(|i| format!("[[w{i}]] [[w{i}]] ")).collect();
        let found = wikilinks(&many);
        assert_eq!(found.len(), MAX_WIKILINKS);
        assert_eq!(found[0], "w0");
        assert_eq!(found[MAX_WIKILINKS - 1], format!("w{}", MAX_WIKILINKS - 1));
        assert_eq!(wikilinks("[[a]] [[b]] [[a]] [[ b ]]"), vec!["a", "b"]);
        let html = render_linked(&many, &|t| (t == "w0").then(|| "w0".to_owned())).into_string();
        assert_eq!(html.matches("<a ").count(), 2 * MAX_WIKILINKS, "every link to the first targets");
        assert!(html.contains(r#"<a class="wikilink" href="/cards/w0""#));
        assert!(html.contains(&format!("[[w{}]] [[w{}]]", MAX_WIKILINKS, MAX_WIKILINKS)), "the rest stay text");
    }

    #[test]
    fn wiki_links_resolve_or_are_marked_missing() {
        let md = "See [[Escalation policy]] and [[nope|the missing one]], not `[[code]]`.";
        assert_eq!(wikilinks(md), vec!["Escalation policy", "nope"]);
        let html =
            render_linked(md, &|t| (t == "Escalation policy").then(|| "escalation-policy".to_owned())).into_string();
        assert!(html.contains(r#"<a class="wikilink" href="/cards/escalation-policy""#), "{html}");
        assert!(html.contains(r#"class="wikilink missing" href="/search?q=nope""#), "{html}");
        assert!(html.contains(">the missing one</a>"), "{html}");
        assert!(html.contains("<code>[[code]]</code>"), "{html}");
        let evil = render_linked("[[x]]", &|_| Some("\"><script>alert(1)</script>".into())).into_string();
        assert!(!evil.contains("<script"), "{evil}");
    }

    #[test]
    fn links_get_a_safe_rel() {
        let html = render("[site](https://example.com)").into_string();
        assert!(html.contains(r#"rel="nofollow noopener noreferrer""#), "{html}");
    }

    #[test]
    fn plain_text_keeps_words_and_code_but_not_markup() {
        let text = to_text(
            "# Deploying\n\nRun `make deploy` then **check** [the dashboard](https://x.example).\n\n```sh\ncargo build\n```\n",
        );
        assert_eq!(text, "Deploying\nRun make deploy then check the dashboard.\ncargo build");
    }

    #[test]
    fn a_heading_repeating_the_title_can_be_left_out() {
        assert_eq!(without_title_heading("# Deploying\n\nText", "deploying"), "Text");
        assert_eq!(without_title_heading("\n# Deploying\r\n\r\nText", "Deploying"), "Text");
        assert_eq!(without_title_heading("# Other\n\nText", "Deploying"), "# Other\n\nText");
        assert_eq!(without_title_heading("## Deploying\nText", "Deploying"), "## Deploying\nText");
        assert_eq!(without_title_heading("# Deploying", "Deploying"), "");
    }

    #[test]
    fn headings_and_first_heading() {
        let md = "Intro\n\n## Second\n\n# First *one*\n\n### Third\n";
        assert_eq!(first_heading(md).as_deref(), Some("First one"));
        assert_eq!(headings(md), vec!["Second", "First one", "Third"]);
        assert_eq!(first_heading("no headings"), None);
    }
}
