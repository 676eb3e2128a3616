//! Text from outside (pod logs, events) made safe to print on a terminal: bytes decoded lossily
//! (an invalid sequence becomes U+FFFD) and control characters shown in caret notation,
//! so an escape sequence in a log cannot move the cursor, retitle the window or set the
//! clipboard.

/// `raw` as one printable line; tabs are kept, a trailing CR or LF is dropped.
pub fn printable(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches(['\n', '\r']);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push('\t'),
            // C0 controls and DEL as ^X, like `cat -v`.
            '\u{0}'..='\u{1f}' => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            '\u{7f}' => out.push_str("^?"),
            // C1 controls (8-bit CSI, OSC ...) as their code point.
            '\u{80}'..='\u{9f}' => out.push_str(&format!("<U+{:04X}>", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// `text` (an event's message, say) as one printable line: line breaks become spaces.
pub fn one_line(text: &str) -> String {
    printable(text.trim().replace(['\r', '\n'], " ").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::{one_line, printable};

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        assert_eq!(
            printable(b"\x1b[2J\x1b]0;pwned\x07ok\r\n"),
            "^[[2J^[]0;pwned^Gok"
        );
        assert_eq!(printable("a\u{9b}31m".as_bytes()), "a<U+009B>31m");
        assert_eq!(printable(b"del\x7f tab\there"), "del^? tab\there");
    }

    #[test]
    fn one_line_joins_lines_and_shows_controls() {
        assert_eq!(
            one_line(" a\r\nb\x1b]52;c;eA==\x07\n"),
            "a  b^[]52;c;eA==^G"
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(printable(b"caf\xe9 \xff end"), "caf\u{fffd} \u{fffd} end");
        assert_eq!(printable("plain ünïcode".as_bytes()), "plain ünïcode");
    }
}
