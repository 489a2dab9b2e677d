//! A closed-loop HTTP load generator on loopback: `connections` clients,
//! each sending the next payload as soon as the previous answer arrived.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::io::Write;

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

pub const EVENTS_PER_BATCH: usize = 20;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1024)
        .build_http()
}

/// Request bodies to send, gzip-compressed (as the SDK sends them) or not.
pub struct Payloads {
    pub bodies: Vec<Bytes>,
    pub gzip: bool,
    /// Per body, where [`UNIQUE`] stood: overwritten with the request's
    /// sequence number at every send, so that every request carries new
    /// event and view ids, as browsers send them. (A resent id is only
    /// looked up and skipped by the store's deduplication, which would
    /// measure that instead of storing.) Empty for gzip bodies, which are
    /// sent as they are.
    unique: Vec<Vec<usize>>,
    /// Requests sent so far, by every load on these payloads.
    sent: AtomicU64,
}

/// The placeholder a body template has wherever a request's ids differ.
const UNIQUE: &[u8; 12] = b"@@@@@@@@@@@@";

impl Payloads {
    fn new(bodies: Vec<Bytes>, gzip: bool, unique: Vec<Vec<usize>>) -> Payloads {
        Payloads {
            bodies,
            gzip,
            unique,
            sent: AtomicU64::new(0),
        }
    }

    /// The next request's body.
    pub fn next_body(&self) -> Bytes {
        let seq = self.sent.fetch_add(1, Ordering::Relaxed);
        let i = seq as usize % self.bodies.len();
        match self.unique[i].as_slice() {
            [] => self.bodies[i].clone(),
            slots => stamped(&self.bodies[i], slots, seq),
        }
    }
}

/// `body` with `seq`, in hex, wherever [`UNIQUE`] stood.
fn stamped(body: &[u8], slots: &[usize], seq: u64) -> Bytes {
    let mut body = body.to_vec();
    let stamp = format!("{:012x}", seq & 0xffff_ffff_ffff);
    for &at in slots {
        body[at..at + UNIQUE.len()].copy_from_slice(stamp.as_bytes());
    }
    Bytes::from(body)
}

/// `n` SDK-like batches (a view, resources, actions, an error), each sent
/// with new ids at every request unless gzip-compressed.
/// `late_hours`: 0, every batch stamped now; else batch `i` stamped
/// `i % late_hours + 1` hours ago, as a backfill or a replayed outage sends.
pub fn payloads(n: usize, gzip: bool, late_hours: u64) -> Payloads {
    let templates = json_batches(n, late_hours);
    let unique: Vec<Vec<usize>> = templates.iter().map(|b| placeholders(b)).collect();
    if gzip {
        let bodies = templates.iter().zip(&unique);
        return compressed(
            bodies
                .zip(0..)
                .map(|((b, u), i)| stamped(b, u, i))
                .collect(),
            true,
        );
    }
    Payloads::new(templates, false, unique)
}

fn placeholders(body: &[u8]) -> Vec<usize> {
    body.windows(UNIQUE.len())
        .enumerate()
        .filter(|(_, w)| w == UNIQUE)
        .map(|(at, _)| at)
        .collect()
}

/// Bodies as they are, or gzip-compressed; sent as they are.
pub fn compressed(bodies: Vec<Bytes>, gzip: bool) -> Payloads {
    let unique = vec![Vec::new(); bodies.len()];
    if !gzip {
        return Payloads::new(bodies, gzip, unique);
    }
    let bodies = bodies
        .iter()
        .map(|b| {
            let mut z = GzEncoder::new(Vec::new(), Compression::default());
            z.write_all(b).expect("gzip into memory");
            Bytes::from(z.finish().expect("gzip into memory"))
        })
        .collect();
    Payloads::new(bodies, gzip, unique)
}

fn json_batches(n: usize, late_hours: u64) -> Vec<Bytes> {
    // Now, so that the views land in the open hour, as live traffic does.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_millis() as u64;
    (0..n)
        .map(|i| {
            let now = match late_hours {
                0 => now,
                h => now - (i as u64 % h + 1) * 3_600_000,
            };
            // A random uuid's first 24 characters, then the request's stamp.
            let id = || format!("{}@@@@@@@@@@@@", &uuid::Uuid::new_v4().to_string()[..24]);
            let mut events = vec![format!(
                r#"{{"type":"view","event_id":"{}","view_id":"v{i}-@@@@@@@@@@@@","version":1,"ts":{now},"url":"https://shop.example/product/{i}?ref=home","lcp":{},"fcp":900,"ttfb":120,"cls":0.02,"inp":80,"load":2100,"lcp_element":"img.hero"}}"#,
                id(),
                1500 + i % 2000
            )];
            for r in 0..14 {
                events.push(format!(
                    r#"{{"type":"resource","event_id":"{}","view_id":"v{i}-@@@@@@@@@@@@","ts":{now},"url":"https://shop.example/product/{i}","resource_url":"https://cdn.shop.example/asset-{r}.js","kind":"script","duration":{},"transfer_size":12000}}"#,
                    id(),
                    20 + r * 7
                ));
            }
            for a in 0..4 {
                events.push(format!(
                    r#"{{"type":"action","event_id":"{}","view_id":"v{i}-@@@@@@@@@@@@","ts":{now},"url":"https://shop.example/product/{i}","action_type":"click","name":"Add to cart {a}","target":"button.add"}}"#,
                    id()
                ));
            }
            events.push(format!(
                r#"{{"type":"error","event_id":"{}","view_id":"v{i}-@@@@@@@@@@@@","ts":{now},"url":"https://shop.example/product/{i}","message":"Cannot read properties of undefined (reading 'price')","kind":"TypeError","stack":"TypeError: Cannot read properties of undefined\n    at render (https://shop.example/app.js:10:5)\n    at main (https://shop.example/app.js:20:1)"}}"#,
                id()
            ));
            events.truncate(EVENTS_PER_BATCH);
            Bytes::from(format!(
                r#"{{"sdk":{{"name":"bench","version":"1"}},"session":{{"id":"bench-{i}"}},"events":[{}]}}"#,
                events.join(",")
            ))
        })
        .collect()
}

#[derive(Default)]
pub struct Outcome {
    pub ok: u64,
    pub failed: u64,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn per_sec(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    fn add(&mut self, other: Outcome) {
        self.ok += other.ok;
        self.failed += other.failed;
        self.elapsed += other.elapsed;
    }
}

/// Where and how requests are sent, and what answer means accepted.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub uri: String,
    pub content_type: &'static str,
    /// `x-fovea-key`, for the OTLP intake.
    pub key_header: Option<String>,
    pub accepted: u16,
}

impl Endpoint {
    /// The browser intake with the app's ingest key.
    pub fn intake(addr: SocketAddr, key: &str) -> Endpoint {
        Endpoint {
            uri: format!("http://{addr}/api/v1/intake?key={key}"),
            content_type: "application/json",
            key_header: None,
            accepted: 202,
        }
    }

    /// The OTLP trace intake (protobuf) with the app's server key.
    pub fn otlp(addr: SocketAddr, server_key: &str) -> Endpoint {
        Endpoint {
            uri: format!("http://{addr}/v1/traces"),
            content_type: "application/x-protobuf",
            key_header: Some(server_key.to_string()),
            accepted: 200,
        }
    }
}

/// One intake endpoint under closed-loop load, its connections kept open
/// between slices of load.
pub struct Target {
    client: HttpClient,
    endpoint: Arc<Endpoint>,
    payloads: Arc<Payloads>,
    connections: usize,
}

impl Target {
    /// Opens the connections with one second of load that is not counted.
    pub async fn warm(endpoint: Endpoint, payloads: Arc<Payloads>, connections: usize) -> Target {
        let target = Target {
            client: client(),
            endpoint: Arc::new(endpoint),
            payloads,
            connections,
        };
        target.drive(Duration::from_secs(1)).await;
        target
    }

    /// Loads the endpoint for `duration` and adds what it answered to `total`.
    pub async fn slice(&self, duration: Duration, total: &mut Outcome) {
        total.add(self.drive(duration).await);
    }

    async fn drive(&self, duration: Duration) -> Outcome {
        let start = Instant::now();
        let (ok, failed) = drive(
            &self.client,
            &self.endpoint,
            &self.payloads,
            self.connections,
            duration,
        )
        .await;
        Outcome {
            ok,
            failed,
            elapsed: start.elapsed(),
        }
    }
}

async fn drive(
    client: &HttpClient,
    endpoint: &Arc<Endpoint>,
    payloads: &Arc<Payloads>,
    connections: usize,
    duration: Duration,
) -> (u64, u64) {
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (client, endpoint, payloads) = (client.clone(), endpoint.clone(), payloads.clone());
            let (ok, failed) = (ok.clone(), failed.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let mut req = hyper::Request::post(&endpoint.uri)
                        .header("content-type", endpoint.content_type);
                    if payloads.gzip {
                        req = req.header("content-encoding", "gzip");
                    }
                    if let Some(key) = &endpoint.key_header {
                        req = req.header("x-fovea-key", key);
                    }
                    let req = req.body(Full::new(payloads.next_body())).expect("request");
                    match client.request(req).await {
                        Ok(res) => {
                            let status = res.status().as_u16();
                            let _ = res.into_body().collect().await;
                            if status == endpoint.accepted {
                                &ok
                            } else {
                                &failed
                            }
                            .fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed))
}

pub async fn get(client: &HttpClient, addr: SocketAddr, path: &str) -> Option<u16> {
    let req = hyper::Request::get(format!("http://{addr}{path}"))
        .body(Full::new(Bytes::new()))
        .ok()?;
    client.request(req).await.ok().map(|r| r.status().as_u16())
}

/// A gauge or counter from the server's `/metrics` (first sample).
pub async fn metric(client: &HttpClient, addr: SocketAddr, name: &str) -> Option<f64> {
    let req = hyper::Request::get(format!("http://{addr}/metrics"))
        .body(Full::new(Bytes::new()))
        .ok()?;
    let body = client
        .request(req)
        .await
        .ok()?
        .into_body()
        .collect()
        .await
        .ok()?;
    let text = String::from_utf8(body.to_bytes().to_vec()).ok()?;
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub fn rss_kb(pid: u32) -> Option<u64> {
    status_kb(pid, "VmRSS:")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(body: &[u8]) -> Vec<String> {
        let (_, events) = fovea_intake::parse(
            fovea_intake::Format::Json,
            body,
            &fovea_intake::Limits::default(),
        )
        .expect("a valid batch");
        events
            .iter()
            .flat_map(|e| [e.event_id.as_deref(), e.view_id.as_deref()])
            .flatten()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn a_template_sent_again_carries_new_ids() {
        let p = payloads(2, false, 0);
        let (first, _, again) = (p.next_body(), p.next_body(), p.next_body());
        let (first, again) = (ids(&first), ids(&again));
        assert_eq!(first.len(), 2 * EVENTS_PER_BATCH);
        assert!(
            first.iter().all(|id| !again.contains(id)),
            "{first:?} {again:?}"
        );
    }
}
