//! Source maps and bundles per app and release (`docs/errors.md`): uploaded
//! with `POST …/sourcemaps` (multipart, what `fovea sourcemaps upload`
//! sends), listed and deleted. A map is parsed at upload, so a bad one gets
//! a clear 400 here and never troubles the writer.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::Json;
use fovea_schema::{sha256_hex, SourceFile, SourceFileInfo, SourceKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::apps::find;
use crate::auth::Principal;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiQuery};
use crate::{audit, AppState};

/// The largest file accepted (bundles and maps of big apps run to tens of MB).
pub const MAX_FILE: usize = 64 << 20;
const MAX_FIELD: usize = 2048;

#[derive(Serialize, ToSchema)]
pub struct SourceFilesResponse {
    pub sourcemaps: Vec<SourceFileInfo>,
}

#[derive(Deserialize, IntoParams)]
pub struct ReleaseParam {
    /// Only the files of this release.
    release: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: u64,
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the form for the OpenAPI document
struct UploadForm {
    /// The release the file belongs to (the SDK's `release` option).
    release: String,
    /// Where browsers load the file from: a full URL or `~/path` (any
    /// host). Default: `~/` and the file name.
    url: Option<String>,
    /// The file: `*.map` is a source map, anything else a bundle.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[utoipa::path(post, path = "/api/v1/apps/{app}/sourcemaps", tag = "sourcemaps",
    params(("app" = String, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = SourceFileInfo), (status = 400), (status = 404), (status = 413)))]
pub async fn upload(
    State(s): State<AppState>,
    who: Principal,
    Path(app): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<SourceFileInfo>), ApiError> {
    let mut form = form.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let app = find(&s, &app)?;
    let bad = |m: String| ApiError::BadRequest(m);
    let (mut release, mut url, mut file) = (None, None, None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| bad(format!("multipart body: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| bad(format!("multipart field {name:?}: {e}")))?;
        let text = || -> Result<String, ApiError> {
            if bytes.len() > MAX_FIELD {
                return Err(bad(format!("{name} is over {MAX_FIELD} bytes")));
            }
            String::from_utf8(bytes.to_vec()).map_err(|_| bad(format!("{name} is not UTF-8")))
        };
        match name.as_str() {
            "release" => release = Some(text()?),
            "url" => url = Some(text()?),
            "file" => file = Some((file_name, bytes)),
            other => {
                return Err(bad(format!(
                    "unknown field {other:?}: send release, url and file"
                )))
            }
        }
    }
    let (file_name, data) = file.ok_or_else(|| bad("no file field".into()))?;
    let release = release
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty() && r.len() <= 200)
        .ok_or_else(|| bad("release is required (1 to 200 characters)".into()))?;
    let url = match url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) {
        Some(u) => u,
        None => {
            let name =
                file_name.ok_or_else(|| bad("url is required when the file has no name".into()))?;
            format!("~/{}", name.rsplit('/').next().unwrap_or(&name))
        }
    };
    if !(url.starts_with("~/") || url.starts_with("http://") || url.starts_with("https://")) {
        return Err(bad(format!(
            "url {url:?} must be a full http(s) URL or start with ~/"
        )));
    }
    let kind = if url.ends_with(".map") {
        SourceKind::Map
    } else {
        SourceKind::Source
    };
    let debug_id = match kind {
        SourceKind::Map => fovea_symbolicate::Map::parse(&data)
            .map_err(|e| ApiError::Invalid("invalid_sourcemap", format!("{url}: {e}")))?
            .debug_id(),
        SourceKind::Source => {
            let text = std::str::from_utf8(&data)
                .map_err(|_| bad(format!("{url}: a bundle must be UTF-8 JavaScript")))?;
            fovea_symbolicate::bundle_debug_id(text)
        }
    };
    let info = SourceFileInfo {
        id: SourceFileInfo::id_for(&release, kind, &url),
        sha256: sha256_hex(&data),
        bytes: data.len() as u64,
        release,
        url,
        kind,
        debug_id,
        uploaded_at: now_ms(),
    };
    s.store
        .put_source_file(&SourceFile {
            app_id: app.id.clone(),
            info: info.clone(),
            data: data.to_vec(),
        })
        .await?;
    s.symbols.forget(&app.id);
    audit::record(
        &s,
        &who.username,
        "sourcemap.upload",
        Some(&app.id),
        Some(format!(
            "{} {} ({} bytes)",
            info.release, info.url, info.bytes
        )),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(info)))
}

#[utoipa::path(operation_id = "list_sourcemaps", get, path = "/api/v1/apps/{app}/sourcemaps", tag = "sourcemaps",
    params(("app" = String, Path), ReleaseParam),
    responses((status = 200, body = SourceFilesResponse), (status = 404)))]
pub async fn list(
    State(s): State<AppState>,
    _who: Principal,
    Path(app): Path<String>,
    ApiQuery(q): ApiQuery<ReleaseParam>,
) -> Result<Json<SourceFilesResponse>, ApiError> {
    let app = find(&s, &app)?;
    Ok(Json(SourceFilesResponse {
        sourcemaps: s.store.source_files(&app.id, q.release.as_deref()).await?,
    }))
}

#[utoipa::path(delete, path = "/api/v1/apps/{app}/sourcemaps", tag = "sourcemaps",
    params(("app" = String, Path), ReleaseParam),
    responses((status = 200, body = Deleted), (status = 400), (status = 404)))]
pub async fn delete_release(
    State(s): State<AppState>,
    who: Principal,
    Path(app): Path<String>,
    ApiQuery(q): ApiQuery<ReleaseParam>,
) -> Result<Json<Deleted>, ApiError> {
    let app = find(&s, &app)?;
    let release = q
        .release
        .ok_or_else(|| ApiError::BadRequest("name the release to delete: ?release=".into()))?;
    let deleted = s
        .store
        .delete_source_files(&app.id, None, Some(&release))
        .await?;
    s.symbols.forget(&app.id);
    audit::record(
        &s,
        &who.username,
        "sourcemap.delete",
        Some(&app.id),
        Some(format!("release {release}: {deleted} files")),
    )
    .await?;
    Ok(Json(Deleted { deleted }))
}

#[utoipa::path(delete, path = "/api/v1/apps/{app}/sourcemaps/{id}", tag = "sourcemaps",
    params(("app" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404)))]
pub async fn delete_one(
    State(s): State<AppState>,
    who: Principal,
    Path((app, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let app = find(&s, &app)?;
    match s
        .store
        .delete_source_files(&app.id, Some(&id), None)
        .await?
    {
        0 => Err(ApiError::NotFound(format!("no source file {id:?}"))),
        _ => {
            s.symbols.forget(&app.id);
            audit::record(
                &s,
                &who.username,
                "sourcemap.delete",
                Some(&app.id),
                Some(id),
            )
            .await?;
            Ok(StatusCode::NO_CONTENT)
        }
    }
}
