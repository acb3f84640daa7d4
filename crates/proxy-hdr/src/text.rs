//! Text carried in TLVs, checked for UTF-8 only when asked, and bytes shown
//! safely in logs.
//!
//! The spec calls AUTHORITY, NETNS and the SSL names text, but senders copy
//! bytes as they have them (HAProxy copies a certificate's CN as it is, and
//! a BMPString CN is not UTF-8), so a header is never rejected for them.

use core::fmt;
use core::str::Utf8Error;

/// Bytes the spec calls text: the raw value, with UTF-8 checked on demand.
///
/// `Display` prints the text with every byte that is not printable UTF-8
/// escaped (`\xNN`, `\n`, ...), so it is safe to put in a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Text<'a>(&'a [u8]);

impl<'a> Text<'a> {
    /// Wraps raw bytes.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Text(bytes)
    }

    /// The bytes as sent.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The text, when it is UTF-8.
    pub fn to_str(&self) -> Result<&'a str, Utf8Error> {
        core::str::from_utf8(self.0)
    }

    /// The text, when it is UTF-8; `None` otherwise.
    pub fn as_str(&self) -> Option<&'a str> {
        self.to_str().ok()
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Escaped(self.0).fmt(f)
    }
}

/// Shows bytes an attacker chose (a header, the first bytes of a connection)
/// as one printable line: printable UTF-8 as is, anything else escaped.
///
/// ```
/// use proxy_hdr::Escaped;
/// assert_eq!(Escaped(b"GET /\r\n\x16\xff").to_string(), "GET /\\r\\n\\x16\\xff");
/// assert_eq!(Escaped("Jürgen".as_bytes()).to_string(), "Jürgen");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '\r' => f.write_str("\\r")?,
                    '\n' => f.write_str("\\n")?,
                    '\t' => f.write_str("\\t")?,
                    '\\' => f.write_str("\\\\")?,
                    // Controls (C0, DEL, C1), bidirectional overrides and
                    // other invisible format characters could hide or fake
                    // log text: escape them.
                    c if c.is_ascii_control() => write!(f, "\\x{:02x}", u32::from(c))?,
                    c if c.is_control() || is_invisible(c) => {
                        write!(f, "\\u{{{:x}}}", u32::from(c))?;
                    }
                    c => fmt::Write::write_char(f, c)?,
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// Format characters that change how a line reads without being seen.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    extern crate std;
    use alloc::string::ToString;

    use super::*;

    #[test]
    fn escapes_what_could_forge_a_log_line() {
        let cases: &[(&[u8], &str)] = &[
            (b"example.com", "example.com"),
            (b"a\nFAKE log line", "a\\nFAKE log line"),
            (b"\x00\x1b[31m\x7f", "\\x00\\x1b[31m\\x7f"),
            ("\u{85}".as_bytes(), "\\u{85}"),
            (b"\xc3", "\\xc3"),
            ("x\u{202e}y".as_bytes(), "x\\u{202e}y"),
            (b"back\\slash", "back\\\\slash"),
        ];
        for (bytes, want) in cases {
            assert_eq!(Escaped(bytes).to_string(), *want, "{bytes:02x?}");
        }
        // A BMPString CN copied as it is: UTF-16BE, not UTF-8.
        let cn = Text::new(b"\x00J\x00\xfc");
        assert_eq!(cn.as_str(), None);
        assert_eq!(cn.to_string(), "\\x00J\\x00\\xfc");
        assert_eq!(Text::new(b"\xff").as_str(), None);
        assert_eq!(Text::new(b"\xff").as_bytes(), b"\xff");
    }
}
