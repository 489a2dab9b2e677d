//! Symbolication with the apps' uploaded source maps, for the writer (an
//! error's frames before it is grouped) and for the issue API (the frames
//! with source context, also for errors stored before their map arrived).
//!
//! A frame's file is matched to an uploaded bundle of the error's release,
//! by its URL or its `~/path`; the bundle's debug id or `sourceMappingURL`
//! leads to its map. Without a bundle, the map at the file's URL + `.map`
//! is tried. Parsed maps are cached up to [`CACHE_BYTES`]; a miss is
//! remembered for [`MISS_TTL`] so that a map uploaded after a deploy is
//! picked up soon, and an upload or delete forgets the app's entries at
//! once on this node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fovea_pipeline::Symbolicate;
use fovea_query::{MinifiedPosition, SourceContext, StackFrame};
use fovea_schema::{sha256_hex, SourceFileInfo, SourceKind, StoredFrames};
use fovea_store::{SourceKey, Store};
use fovea_symbolicate::{
    bundle_debug_id, in_app, source_mapping_url, source_view, Frame, Map, Original, SourceView,
};
use tokio::runtime::Handle;

/// Memory held by parsed maps and bundles at most.
pub const CACHE_BYTES: usize = 64 << 20;
/// How long "no map for this file" is believed.
pub const MISS_TTL: Duration = Duration::from_secs(30);
/// How long a found map is used before it is read again (another node may
/// have replaced it).
const HIT_TTL: Duration = Duration::from_secs(600);

/// A map and, when uploaded, the bundle it maps (for function names).
pub struct Loaded {
    map: Map,
    bundle: Option<SourceView>,
    bytes: usize,
}

type Key = (String, String, String);

struct Entry {
    loaded: Option<Arc<Loaded>>,
    at: Instant,
}

pub struct Symbols {
    store: Arc<dyn Store>,
    rt: Handle,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<Key, Entry>,
    bytes: usize,
}

impl Cache {
    fn get(&self, key: &Key) -> Option<Option<Arc<Loaded>>> {
        let e = self.entries.get(key)?;
        let ttl = if e.loaded.is_some() {
            HIT_TTL
        } else {
            MISS_TTL
        };
        (e.at.elapsed() < ttl).then(|| e.loaded.clone())
    }

    fn put(&mut self, key: Key, loaded: Option<Arc<Loaded>>) {
        let size = loaded.as_ref().map_or(0, |l| l.bytes);
        if let Some(old) = self.entries.remove(&key) {
            self.bytes -= old.loaded.map_or(0, |l| l.bytes);
        }
        // Evict the oldest entries until the new one fits.
        while self.bytes + size > CACHE_BYTES && !self.entries.is_empty() {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.at)
                .map(|(k, _)| k.clone())
                .expect("not empty");
            let e = self.entries.remove(&oldest).expect("present");
            self.bytes -= e.loaded.map_or(0, |l| l.bytes);
        }
        self.bytes += size;
        self.entries.insert(
            key,
            Entry {
                loaded,
                at: Instant::now(),
            },
        );
    }
}

/// Names a release's uploaded files and their contents.
fn sources_digest(files: &[SourceFileInfo]) -> String {
    let mut parts: Vec<String> = files
        .iter()
        .map(|f| format!("{}:{}", f.id, f.sha256))
        .collect();
    parts.sort();
    sha256_hex(parts.join("\n").as_bytes())
}

fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// `https://host/a/b.js` → `~/a/b.js`: the form that matches any host.
fn tilde(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    Some(format!("~{}", &rest[rest.find('/')?..]))
}

/// A `sourceMappingURL` resolved against the bundle's URL.
fn resolve(base: &str, reference: &str) -> String {
    if reference.contains("://") {
        return reference.to_string();
    }
    if let Some(path) = reference.strip_prefix('/') {
        let origin_end = base
            .find("://")
            .and_then(|i| base[i + 3..].find('/').map(|p| i + 3 + p))
            .unwrap_or(base.len());
        return format!("{}/{path}", &base[..origin_end]);
    }
    let dir = base.rfind('/').map_or("", |i| &base[..=i]);
    format!("{dir}{reference}")
}

/// A URL and its `~/path` form, the order uploads are matched in.
fn forms(url: &str) -> Vec<String> {
    let mut v = vec![url.to_string()];
    v.extend(tilde(url));
    v
}

impl Symbols {
    /// Must be called inside the tokio runtime (the writer blocks on it).
    pub fn new(store: Arc<dyn Store>) -> Symbols {
        Symbols {
            store,
            rt: Handle::current(),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Forgets an app's cached maps (after an upload or a delete).
    pub fn forget(&self, app_id: &str) {
        let mut c = self.cache.lock().expect("symbols cache");
        let keys: Vec<Key> = c
            .entries
            .keys()
            .filter(|k| k.0 == app_id)
            .cloned()
            .collect();
        for k in keys {
            if let Some(e) = c.entries.remove(&k) {
                c.bytes -= e.loaded.map_or(0, |l| l.bytes);
            }
        }
    }

    async fn file(&self, app: &str, release: &str, kind: SourceKind, url: &str) -> Option<Vec<u8>> {
        for u in forms(url) {
            let key = SourceKey::Url {
                release,
                kind,
                url: &u,
            };
            match self.store.source_file(app, &key).await {
                Ok(Some(f)) => return Some(f.data),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, app, "source file lookup failed");
                    return None;
                }
            }
        }
        None
    }

    /// The map (and bundle) for a frame's file, from the cache or the store.
    async fn load(&self, app: &str, release: &str, file: &str) -> Option<Arc<Loaded>> {
        let url = strip_query(file);
        let key = (app.to_string(), release.to_string(), url.to_string());
        if let Some(hit) = self.cache.lock().expect("symbols cache").get(&key) {
            return hit;
        }
        let bundle = self.file(app, release, SourceKind::Source, url).await;
        let bundle_text = bundle.as_deref().and_then(|b| std::str::from_utf8(b).ok());
        let mut map = None;
        if let Some(id) = bundle_text.and_then(bundle_debug_id) {
            let key = SourceKey::DebugId {
                kind: SourceKind::Map,
                debug_id: &id,
            };
            map = self
                .store
                .source_file(app, &key)
                .await
                .ok()
                .flatten()
                .map(|f| f.data);
        }
        if map.is_none() {
            let map_url = match bundle_text.and_then(source_mapping_url) {
                Some(reference) => resolve(url, reference),
                None => format!("{url}.map"),
            };
            map = self.file(app, release, SourceKind::Map, &map_url).await;
        }
        let loaded = map.and_then(|bytes| match Map::parse(&bytes) {
            Ok(map) => Some(Arc::new(Loaded {
                bytes: map.bytes() + bundle_text.map_or(0, str::len),
                bundle: bundle_text.map(source_view),
                map,
            })),
            Err(e) => {
                tracing::warn!(app, release, url, error = %e, "a stored source map does not parse");
                None
            }
        });
        self.cache
            .lock()
            .expect("symbols cache")
            .put(key, loaded.clone());
        loaded
    }

    /// Where a frame of an error of `release` came from, with its source
    /// lines, if a map covers it.
    async fn original(&self, app: &str, release: Option<&str>, f: &Frame) -> Option<Original> {
        let loaded = self.load(app, release?, &f.file).await?;
        loaded.map.resolve(f, loaded.bundle.as_ref())
    }

    /// An error's frames for the issue API, as [`Symbols::frames`] makes
    /// them: a symbolication is stored the first time it maps a frame, and
    /// read back while the release's uploaded files stay the same, so a
    /// late map's work is done once.
    pub async fn stored_frames(
        &self,
        app: &str,
        release: Option<&str>,
        stack: &str,
    ) -> Vec<StackFrame> {
        let Some(release) = release else {
            return self.frames(app, None, stack).await;
        };
        let sources = match self.store.source_files(app, Some(release)).await {
            Ok(files) => sources_digest(&files),
            Err(e) => {
                tracing::warn!(error = %e, app, "source file list failed");
                return self.frames(app, Some(release), stack).await;
            }
        };
        let stack_hash = sha256_hex(stack.as_bytes());
        if let Ok(Some(stored)) = self.store.stored_frames(app, release, &stack_hash).await {
            if stored.sources == sources {
                if let Ok(frames) = serde_json::from_str(&stored.frames) {
                    return frames;
                }
            }
        }
        let frames = self.frames(app, Some(release), stack).await;
        if frames.iter().any(|f| f.minified.is_some()) {
            let stored = StoredFrames {
                app_id: app.to_string(),
                release: release.to_string(),
                stack_hash,
                sources,
                frames: serde_json::to_string(&frames).expect("frames serialise"),
                stored_at: crate::clock::now_ms(),
            };
            if let Err(e) = self.store.put_stored_frames(&stored).await {
                tracing::warn!(error = %e, app, "storing a symbolication failed");
            }
        }
        frames
    }

    /// An error's frames for the issue API: original positions with source
    /// context where a map covers them, the minified position kept.
    async fn frames(&self, app: &str, release: Option<&str>, stack: &str) -> Vec<StackFrame> {
        let mut out = Vec::new();
        for f in fovea_symbolicate::parse(stack) {
            let original = self.original(app, release, &f).await;
            let minified = MinifiedPosition {
                function: f.function.clone(),
                file: f.file.clone(),
                line: f.line,
                column: f.column,
            };
            out.push(match original {
                Some(o) => StackFrame {
                    in_app: in_app(&o.file),
                    function: o.function,
                    file: o.file,
                    line: o.line,
                    column: o.column,
                    context: o.context.map(|c| SourceContext {
                        pre: c.pre,
                        line: c.line,
                        post: c.post,
                    }),
                    minified: Some(minified),
                },
                None => StackFrame {
                    in_app: in_app(&f.file),
                    function: f.function,
                    file: f.file,
                    line: f.line,
                    column: f.column,
                    context: None,
                    minified: None,
                },
            });
        }
        out
    }
}

impl Symbolicate for Symbols {
    /// Runs on the writer thread, outside the runtime, so it may block on
    /// the store.
    fn symbolicate(&self, app_id: &str, release: Option<&str>, frames: Vec<Frame>) -> Vec<Frame> {
        if release.is_none() {
            return frames;
        }
        self.rt.block_on(async {
            let mut out = Vec::with_capacity(frames.len());
            for f in frames {
                let loaded = match release {
                    Some(r) => self.load(app_id, r, &f.file).await,
                    None => None,
                };
                out.push(
                    loaded
                        .and_then(|l| l.map.position(&f, l.bundle.as_ref()))
                        .unwrap_or(f),
                );
            }
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_mapping_urls_resolve_against_the_bundle() {
        let base = "https://shop.example/assets/app.js";
        assert_eq!(
            resolve(base, "app.js.map"),
            "https://shop.example/assets/app.js.map"
        );
        assert_eq!(
            resolve(base, "/maps/app.js.map"),
            "https://shop.example/maps/app.js.map"
        );
        assert_eq!(
            resolve(base, "https://cdn.example/app.js.map"),
            "https://cdn.example/app.js.map"
        );
        assert_eq!(
            resolve("~/assets/app.js", "app.js.map"),
            "~/assets/app.js.map"
        );
        assert_eq!(tilde(base).as_deref(), Some("~/assets/app.js"));
        assert_eq!(forms("~/a.js"), vec!["~/a.js".to_string()]);
    }
}
