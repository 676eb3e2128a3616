//! The web dashboard at `/`: plain HTML, CSS and JavaScript from `assets/dashboard/`,
//! compiled into the binary and served to anyone (they hold no secret: every piece of
//! data comes from the guarded `/api` routes, with the bearer token the page asks for).
//! Each file goes out with its content type and a Content-Security-Policy that lets the
//! page load nothing but its own files and talk to nothing but this server.

use axum::extract::Path;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Only this server's own files, no inline script or style, no frames, no forms posted
/// elsewhere, no plugins.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page's files: name under `/dashboard/`, content type, content.
const FILES: &[(&str, &str, &str)] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/api.js"),
    ),
    (
        "remove.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/remove.js"),
    ),
    (
        "stream.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/stream.js"),
    ),
    (
        "clusters.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/clusters.js"),
    ),
    (
        "details.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/details.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/dashboard/style.css"),
    ),
    (
        "icon.svg",
        "image/svg+xml",
        include_str!("../../assets/dashboard/icon.svg"),
    ),
];

const INDEX: &str = include_str!("../../assets/dashboard/index.html");

/// `GET /`: the page.
pub async fn index() -> Response {
    file_response("text/html; charset=utf-8", INDEX)
}

/// `GET /dashboard/FILE`: one of the page's files, or 404.
pub async fn asset(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => file_response(content_type, body),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no such file of the dashboard: {name}"),
        )
        .into_response(),
    }
}

fn file_response(content_type: &'static str, body: &'static str) -> Response {
    let headers: [(HeaderName, HeaderValue); 6] = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        // A new binary serves a new page: the browser asks again each time.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    (headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_files_that_are_served() {
        for (name, _, _) in FILES {
            assert!(
                INDEX.contains(&format!("/dashboard/{name}"))
                    || FILES.iter().any(|(_, _, body)| body.contains(name)),
                "{name} is served but nothing loads it"
            );
        }
        // (The icon's `xmlns` names a namespace; an image loads nothing.)
        let code = FILES.iter().filter(|(n, _, _)| *n != "icon.svg");
        for text in code.map(|(_, _, body)| *body).chain([INDEX]) {
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "an external resource"
            );
            assert!(!text.contains("<script>"), "an inline script");
            assert!(!text.contains(" style=\""), "an inline style");
        }
    }
}
