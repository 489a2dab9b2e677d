//! `fovea sourcemaps upload|list|delete`: a release's bundles and source
//! maps to a Fovea server, from a build's output directory (in CI after the
//! build, before or after the deploy: errors that arrived first are
//! symbolicated when they are read). Talks to the API with a bearer token
//! (`docs/errors.md`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use fovea_schema::{sha256_hex, SourceFileInfo, SourceKind};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;

#[derive(Subcommand)]
pub enum SourcemapsCommand {
    /// Upload every `.js` and `.js.map` under a directory, skipping files
    /// already uploaded with the same content.
    Upload(Upload),
    /// List an app's uploaded files.
    List(List),
    /// Delete one file (`--id`) or every file of a release (`--release`).
    Delete(Delete),
}

#[derive(Args)]
pub struct Server {
    /// The Fovea server, e.g. https://fovea.example.
    #[arg(long, env = "FOVEA_SERVER")]
    server: String,
    /// An API token (an admin bearer token works). Tokens are URL-safe
    /// base64, so one may begin with `-`: taken as the value, not a flag.
    #[arg(
        long,
        env = "FOVEA_TOKEN",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    token: String,
    /// The app's id.
    #[arg(long)]
    app: String,
}

#[derive(Args)]
pub struct Upload {
    #[command(flatten)]
    server: Server,
    /// The release the files belong to: the SDK's `release` option.
    #[arg(long)]
    release: String,
    /// Where the directory is served from: `~/` plus a path matches any
    /// host (`~/assets`), or a full URL (`https://cdn.example/assets`).
    #[arg(long, default_value = "~/")]
    url_prefix: String,
    /// The build's output directory.
    dir: PathBuf,
}

#[derive(Args)]
pub struct List {
    #[command(flatten)]
    server: Server,
    /// Only this release.
    #[arg(long)]
    release: Option<String>,
}

#[derive(Args)]
pub struct Delete {
    #[command(flatten)]
    server: Server,
    #[arg(long, conflicts_with = "release", required_unless_present = "release")]
    id: Option<String>,
    #[arg(long)]
    release: Option<String>,
}

#[derive(Deserialize)]
struct Files {
    sourcemaps: Vec<SourceFileInfo>,
}

pub fn run(cmd: SourcemapsCommand) -> anyhow::Result<()> {
    match cmd {
        SourcemapsCommand::Upload(u) => upload(u),
        SourcemapsCommand::List(l) => list(l),
        SourcemapsCommand::Delete(d) => delete(d),
    }
}

struct Api {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

impl Api {
    fn new(s: &Server) -> Api {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(300)))
            .http_status_as_error(false)
            .build()
            .into();
        Api {
            agent,
            base: format!(
                "{}/api/v1/apps/{}/sourcemaps",
                s.server.trim_end_matches('/'),
                s.app
            ),
            auth: format!("Bearer {}", s.token),
        }
    }

    /// The answer's body, or an error with the server's message.
    fn check(
        res: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        what: &str,
    ) -> anyhow::Result<String> {
        let mut res = res.with_context(|| format!("{what}: no answer"))?;
        let status = res.status();
        let body = res.body_mut().read_to_string().unwrap_or_default();
        if !status.is_success() {
            bail!("{what}: {status} {body}");
        }
        Ok(body)
    }

    fn files(&self, release: Option<&str>) -> anyhow::Result<Vec<SourceFileInfo>> {
        let mut req = self
            .agent
            .get(&self.base)
            .header("authorization", &self.auth);
        if let Some(r) = release {
            req = req.query("release", r);
        }
        let body = Api::check(req.call(), "listing the uploaded files")?;
        Ok(serde_json::from_str::<Files>(&body)?.sourcemaps)
    }
}

/// The `.js` and `.js.map` files under `dir`, sorted, with their URLs.
fn collect(dir: &Path, prefix: &str) -> anyhow::Result<Vec<(PathBuf, String)>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let path = e?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths).with_context(|| format!("reading {}", dir.display()))?;
    let bundle = |n: &str| {
        [".js", ".mjs", ".cjs"]
            .iter()
            .any(|e| n.ends_with(e) || n.ends_with(&format!("{e}.map")))
    };
    let mut files: Vec<(PathBuf, String)> = paths
        .into_iter()
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(bundle))
        .map(|p| {
            let rel = p
                .strip_prefix(dir)
                .expect("under dir")
                .to_string_lossy()
                .replace('\\', "/");
            let url = format!("{}/{rel}", prefix.trim_end_matches('/'));
            (p, url)
        })
        .collect();
    files.sort();
    Ok(files)
}

/// One file as `multipart/form-data` with the release and its URL.
fn multipart(release: &str, url: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("fovea-{}", &sha256_hex(data)[..24]);
    let mut body = Vec::with_capacity(data.len() + 512);
    for (name, value) in [("release", release), ("url", url)] {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    let file_name = url.rsplit('/').next().unwrap_or("file").replace('"', "");
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(u: Upload) -> anyhow::Result<()> {
    let prefix = u.url_prefix.trim();
    if !(prefix.starts_with("~/")
        || prefix == "~"
        || prefix.starts_with("http://")
        || prefix.starts_with("https://"))
    {
        bail!("--url-prefix {prefix:?} must start with ~/ or be an http(s) URL");
    }
    let files = collect(&u.dir, if prefix == "~" { "~/" } else { prefix })?;
    if files.is_empty() {
        bail!("no .js or .js.map files under {}", u.dir.display());
    }
    let api = Api::new(&u.server);
    let stored: HashMap<String, String> = api
        .files(Some(&u.release))?
        .into_iter()
        .map(|f| (f.url, f.sha256))
        .collect();
    let bar = ProgressBar::new(files.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .expect("template")
            .progress_chars("=> "),
    );
    let (mut sent, mut skipped) = (0, 0);
    for (path, url) in &files {
        bar.set_message(url.clone());
        let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        if stored.get(url) == Some(&sha256_hex(&data)) {
            skipped += 1;
            bar.inc(1);
            continue;
        }
        let (content_type, body) = multipart(&u.release, url, &data);
        let res = api
            .agent
            .post(&api.base)
            .header("authorization", &api.auth)
            .header("content-type", &content_type)
            .send(&body[..]);
        Api::check(res, &format!("uploading {url}"))?;
        sent += 1;
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "release {}: {sent} uploaded, {skipped} already there",
        u.release
    );
    // What each bundle will be matched with, as the server sees it.
    let all = api.files(Some(&u.release))?;
    let maps: Vec<&SourceFileInfo> = all.iter().filter(|f| f.kind == SourceKind::Map).collect();
    for b in all.iter().filter(|f| f.kind == SourceKind::Source) {
        let by_id = b
            .debug_id
            .as_ref()
            .and_then(|id| maps.iter().find(|m| m.debug_id.as_ref() == Some(id)));
        let by_url = maps.iter().find(|m| m.url == format!("{}.map", b.url));
        match (by_id, by_url) {
            (Some(m), _) => println!("  {} → {} (debug id {})", b.url, m.url, b.debug_id.as_deref().unwrap_or("")),
            (None, Some(m)) => println!("  {} → {}", b.url, m.url),
            (None, None) => println!("  {} → no map found by debug id or name (its sourceMappingURL is tried when an error comes)", b.url),
        }
    }
    Ok(())
}

fn list(l: List) -> anyhow::Result<()> {
    let files = Api::new(&l.server).files(l.release.as_deref())?;
    if files.is_empty() {
        println!("no files uploaded");
    }
    for f in files {
        println!(
            "{}  {:<10} {:<6} {:>9} B  {}{}",
            f.id,
            f.release,
            f.kind.as_str(),
            f.bytes,
            f.url,
            f.debug_id
                .map(|d| format!("  debug id {d}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

fn delete(d: Delete) -> anyhow::Result<()> {
    let api = Api::new(&d.server);
    let res = match (&d.id, &d.release) {
        (Some(id), _) => api
            .agent
            .delete(&format!("{}/{id}", api.base))
            .header("authorization", &api.auth)
            .call(),
        (None, Some(r)) => api
            .agent
            .delete(&api.base)
            .header("authorization", &api.auth)
            .query("release", r)
            .call(),
        (None, None) => bail!("name --id or --release"),
    };
    let body = Api::check(res, "deleting")?;
    println!(
        "{}",
        if body.is_empty() {
            "deleted".to_string()
        } else {
            body
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_get_urls_under_the_prefix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("assets")).unwrap();
        for f in [
            "assets/app.js",
            "assets/app.js.map",
            "index.html",
            "assets/style.css",
        ] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let urls: Vec<String> = collect(dir.path(), "~/")
            .unwrap()
            .into_iter()
            .map(|(_, u)| u)
            .collect();
        assert_eq!(urls, ["~/assets/app.js", "~/assets/app.js.map"]);
        let urls: Vec<String> = collect(dir.path(), "https://cdn.example/v2/")
            .unwrap()
            .into_iter()
            .map(|(_, u)| u)
            .collect();
        assert_eq!(urls[0], "https://cdn.example/v2/assets/app.js");
    }

    #[test]
    fn the_multipart_body_has_the_three_fields() {
        let (ct, body) = multipart("1.0", "~/assets/app.js", b"var a=1;");
        let boundary = ct.split("boundary=").nth(1).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert_eq!(text.matches(&format!("--{boundary}")).count(), 4);
        assert!(text.contains("name=\"release\"\r\n\r\n1.0\r\n"));
        assert!(text.contains("filename=\"app.js\""));
        assert!(text.ends_with(&format!("var a=1;\r\n--{boundary}--\r\n")));
    }
}
