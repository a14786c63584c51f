//! The course's `get_title`: fetch a page, find its title. The `get_title` worker program
//! (chapter 06's process pool) runs it, and so does `support::titles` (its thread pool), so
//! both pools run exactly the same code.
//!
//! The title is found the way the course's program did: the text of the `<h1>`, or else the
//! text of a link inside it, or else that link's `title` attribute, or else `"NONE"`.

use crate::std_http;
use std::io;

/// Removes every tag from `html`, squeezes the whitespace, and trims it.
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The title of a page, found as the course's `get_title` did: the `<h1>`'s own text, else the
/// text of a link inside the `<h1>`, else that link's `title` attribute, else `"NONE"`.
pub fn title_of(html: &str) -> String {
    let Some(start) = html.find("<h1") else {
        return "NONE".to_string();
    };
    let inner_start = html[start..]
        .find('>')
        .map_or(html.len(), |i| start + i + 1);
    let inner_end = html[inner_start..]
        .find("</h1>")
        .map_or(html.len(), |i| inner_start + i);
    let inner = &html[inner_start..inner_end];
    // The heading's own text: everything outside its links.
    let mut own = String::new();
    let mut rest = inner;
    while let Some(a) = rest.find("<a") {
        own.push_str(&rest[..a]);
        rest = rest[a..].find("</a>").map_or("", |e| &rest[a + e + 4..]);
    }
    own.push_str(rest);
    let own = text_of(&own);
    if !own.is_empty() {
        return own;
    }
    if let Some(a) = inner.find("<a") {
        let tag_end = inner[a..].find('>').map_or(inner.len(), |i| a + i);
        let tag = &inner[a..tag_end];
        let link_end = inner[tag_end..]
            .find("</a>")
            .map_or(inner.len(), |i| tag_end + i);
        let link_text = text_of(&inner[(tag_end + 1).min(link_end)..link_end]);
        if !link_text.is_empty() {
            return link_text;
        }
        if let Some(t) = tag.find("title=\"") {
            let value = &tag[t + 7..];
            if let Some(end) = value.find('"') {
                return value[..end].trim().to_string();
            }
        }
    }
    "NONE".to_string()
}

/// Fetches `url` with [`std_http::get_ok`] and returns its title ([`title_of`]).
pub fn get_title(url: &str) -> io::Result<String> {
    std_http::get_ok(url).map(|html| title_of(&html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fallback() {
        assert_eq!(
            title_of("<h1> Own <a href='/'>link</a> text </h1>"),
            "Own text"
        );
        assert_eq!(title_of("<h1><a href='/'>Link text</a></h1>"), "Link text");
        assert_eq!(
            title_of("<h1><a title=\" Titled \" href='/'></a></h1>"),
            "Titled"
        );
        assert_eq!(title_of("<h1><a href='/'></a></h1>"), "NONE");
        assert_eq!(title_of("<p>no heading</p>"), "NONE");
        assert_eq!(title_of("<h1>Ünïcödé ✓</h1>"), "Ünïcödé ✓");
    }
}
