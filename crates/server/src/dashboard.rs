//! The dashboard: a single-page app built into `dashboard/dist` and
//! embedded in the binary, served with a strict Content-Security-Policy.

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::error_body;

#[derive(RustEmbed)]
#[folder = "../../dashboard/dist"]
#[allow_missing = true]
struct Assets;

/// The browser SDK's builds, so sites can load it from their Fovea server
/// (`/sdk/fovea.min.js`) instead of a third-party CDN.
#[derive(RustEmbed)]
#[folder = "../../sdk/dist"]
#[allow_missing = true]
struct Sdk;

pub async fn sdk(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let Some(f) = Sdk::get(&file) else {
        return error_body(StatusCode::NOT_FOUND, "not_found", "no such SDK file");
    };
    let mut res = file_response(f.data.into_owned(), &guess(&file), "public, max-age=3600");
    // Loadable with `crossorigin` (for full error details in the host page).
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

fn guess(path: &str) -> String {
    mime_guess::from_path(path)
        .first_or_octet_stream()
        .to_string()
}

/// An embedded file with its type, caching and `nosniff`.
fn file_response(data: Vec<u8>, mime: &str, cache: &'static str) -> Response {
    let mut res = Response::new(Body::from(data));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

/// No inline script, no script or connection to another origin, no framing. The session
/// replay's sandboxed iframe inherits this policy, so the styles, images and fonts of a
/// recorded page are let in, and nothing else (docs/dashboard.md, "Session replay").
const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline' https: http:; \
     img-src 'self' data: https: http:; font-src 'self' data: https: http:; \
     connect-src 'self'; object-src 'none'; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'";

pub async fn serve(method: Method, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") {
        return error_body(StatusCode::NOT_FOUND, "not_found", "no such API route");
    }
    // OpenTelemetry SDKs also export metrics and logs to `/v1/…` by
    // default: a 200 page would tell them their data arrived.
    if path.starts_with("v1/") {
        return error_body(
            StatusCode::NOT_FOUND,
            "not_found",
            "Fovea receives OTLP traces only (POST /v1/traces); turn the metrics and logs exporters off",
        );
    }
    if method != Method::GET && method != Method::HEAD {
        return error_body(StatusCode::NOT_FOUND, "not_found", "no such route");
    }
    // Client-side routes (no file extension) get the app's index.
    let (file, asset) = match Assets::get(path) {
        Some(f) if !path.is_empty() => (f, true),
        _ => match Assets::get("index.html") {
            Some(f) => (f, false),
            None => return missing(),
        },
    };
    let mime = if asset {
        guess(path)
    } else {
        "text/html; charset=utf-8".to_string()
    };
    // Hashed asset names never change content; the index must be revalidated.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = file_response(file.data.into_owned(), &mime, cache);
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

fn missing() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "this fovea binary was built without the dashboard: run `npm ci && npm run build` in dashboard/, then rebuild",
    )
        .into_response()
}
