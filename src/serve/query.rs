//! A request's query parameters and path segments as the routes read them: the `true`
//! or `false` flags (`watch`, `dryRun`), `?context=`, and `%XX` decoding (as axum's
//! `Path` does, so a name is authorized as its handler reads it). A leaf.

use super::error::{ApiError, bad_request};

/// The store list's `watch` parameter: `true` or `false` (absent: false).
pub fn watch_param(query: Option<&str>) -> Result<bool, ApiError> {
    flag_param(query, "watch")
}

/// A query parameter that is `true` or `false` (absent: false; anything else: 400).
pub fn flag_param(query: Option<&str>, name: &str) -> Result<bool, ApiError> {
    let mut flag = false;
    for pair in query.unwrap_or_default().split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != name {
            continue;
        }
        flag = match value {
            "true" => true,
            "false" => false,
            other => {
                return Err(bad_request(format!(
                    "{name} must be true or false, not '{other}'"
                )));
            }
        };
    }
    Ok(flag)
}

/// `?context=CTX` of a store's route (percent-decoded; empty: absent).
pub fn context_param(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "context")
        .map(|(_, value)| percent_decoded(&value.replace('+', " ")))
        .filter(|v| !v.is_empty())
}

/// `%XX` sequences decoded (as axum's `Path` does); anything undecodable kept as is.
pub(super) fn percent_decoded(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_string())
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    #[test]
    fn watch_is_true_or_false_and_anything_else_is_refused() {
        assert!(!watch_param(None).unwrap_or(true));
        assert!(watch_param(Some("watch=true")).unwrap_or(false));
        assert!(!watch_param(Some("watch=false&x=1")).unwrap_or(true));
        assert!(!watch_param(Some("other=true")).unwrap_or(true));
        for bad in ["watch=yes", "watch=", "watch", "watch=true&watch=null"] {
            let refused = watch_param(Some(bad)).err().map(|e| e.status);
            assert_eq!(refused, Some(StatusCode::BAD_REQUEST), "{bad}");
        }
    }

    #[test]
    fn a_name_is_authorized_as_the_handler_decodes_it() {
        assert_eq!(percent_decoded("%73hop"), "shop");
        assert_eq!(percent_decoded("shop"), "shop");
        assert_eq!(percent_decoded("bad%zz"), "bad%zz");
        assert_eq!(percent_decoded("%"), "%");
    }
}
