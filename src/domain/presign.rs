//! Presigned S3 GET URLs (AWS Signature Version 4 in the query string): what lets one
//! Job read exactly one object with a key it never holds, until the URL expires. storectl
//! signs them with the target's platform key, which stays in the platform namespace.

use std::fmt::Write as _;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use ring::{digest, hmac};

/// The longest validity SigV4 allows (7 days).
const MAX_VALIDITY: Duration = Duration::from_secs(7 * 86_400);

/// A key that signs: the access key id and its secret.
pub struct SigningKey<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub region: &'a str,
}

/// A URL that GETs `path` (`/bucket/key`, path-style) at `endpoint` (`http(s)://host[:port]`)
/// for `valid_for` from `now`, signed with `key`.
pub fn get_url(
    endpoint: &str,
    path: &str,
    key: &SigningKey,
    now: Timestamp,
    valid_for: Duration,
) -> String {
    let endpoint = endpoint.trim_end_matches('/');
    let host = host_of(endpoint);
    let date_time = now.strftime("%Y%m%dT%H%M%SZ").to_string();
    let date = &date_time[..8];
    let scope = format!("{date}/{}/s3/aws4_request", key.region);
    let expires = valid_for.min(MAX_VALIDITY).as_secs().max(1);
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={date_time}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host",
        encode(&format!("{}/{scope}", key.access_key_id), true)
    );
    let uri = encode(path, false);
    let canonical = format!("GET\n{uri}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}",
        hex(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    );
    let mut signing = format!("AWS4{}", key.secret_access_key).into_bytes();
    for part in [date, key.region, "s3", "aws4_request"] {
        signing = sign(&signing, part.as_bytes());
    }
    let signature = hex(&sign(&signing, to_sign.as_bytes()));
    format!("{endpoint}{uri}?{query}&X-Amz-Signature={signature}")
}

fn sign(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
        .as_ref()
        .to_vec()
}

/// The Host header a client sends for `endpoint`: the default port is left out.
fn host_of(endpoint: &str) -> &str {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("https", endpoint));
    let authority = rest.split('/').next().unwrap_or_default();
    let default = if scheme == "http" { ":80" } else { ":443" };
    authority.strip_suffix(default).unwrap_or(authority)
}

/// SigV4's URI encoding: unreserved characters kept, `/` kept in paths.
fn encode(s: &str, slash_too: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b'/' if !slash_too => out.push('/'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_one_of_the_aws_documentation_example() {
        // docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
        let key = SigningKey {
            access_key_id: "AKIAIOSFODNN7EXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
        };
        let url = get_url(
            "https://examplebucket.s3.amazonaws.com",
            "/test.txt",
            &key,
            "2013-05-24T00:00:00Z"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
            Duration::from_secs(86_400),
        );
        assert_eq!(
            url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[test]
    fn a_path_keeps_its_slashes_and_a_custom_port_is_signed() {
        assert_eq!(
            encode("/b/stores/shop 1/x.gz", false),
            "/b/stores/shop%201/x.gz"
        );
        assert_eq!(host_of("http://127.0.0.1:7070"), "127.0.0.1:7070");
        assert_eq!(host_of("http://s3.local:80"), "s3.local");
    }
}
