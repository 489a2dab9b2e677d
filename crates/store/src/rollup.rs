//! Hourly vitals roll-ups, the part every backend shares: which hours and
//! groups there are, the counts and DDSketch of a group, merging them and
//! reading a percentile back. Backends only read an hour's views, store the
//! rows this builds, and hand stored rows back to [`VitalsMerge`].
//!
//! For every closed hour, a roll-up keeps one row per (env, release,
//! dimension, key) with, for each metric, the exact count, the good /
//! needs-improvement / poor counts and a DDSketch of the values (relative
//! error ≤ 1%). A vitals question over whole rolled-up hours merges those
//! rows; the hours it also covers that are not rolled up (the open hour,
//! partial hours at the edges, hours that late beacons touched) are read raw.

use std::collections::HashMap;

use fovea_query::{Dimension, Filters, VitalsGroup};
use fovea_schema::{Metric, Rating};
use sketches_ddsketch::{Config, DDSketch};

pub const HOUR_MS: i64 = 3_600_000;

/// The start of the hour `ts` falls in.
pub fn hour_of(ts: i64) -> i64 {
    ts.div_euclid(HOUR_MS) * HOUR_MS
}

/// The dimensions a vitals question can group by, in roll-up order.
pub const DIMS: [Dimension; 7] = Dimension::ALL;

/// The view columns a roll-up reads, in order: env, then each grouping
/// dimension's column (release among them), then every metric.
pub fn source_columns() -> Vec<&'static str> {
    let mut cols = vec!["env"];
    cols.extend(DIMS.iter().filter_map(|d| d.column()));
    cols.extend(Metric::ALL.map(Metric::name));
    cols
}

/// The name a roll-up row stores for its dimension.
pub fn dim_name(d: Dimension) -> &'static str {
    d.column().unwrap_or("none")
}

/// At most this many hours per call, so that a first run over a long
/// history does not hold the store (and the writer's inserts) for long; the
/// maintenance task calls again every minute.
pub const MAX_HOURS_PER_CALL: usize = 24;

/// Whether a question can use the roll-ups: they keep env and release, not
/// the other filter dimensions nor attributes.
pub fn serves(f: &Filters) -> bool {
    f.page.is_none()
        && f.browser.is_none()
        && f.device.is_none()
        && f.country.is_none()
        && f.user.is_none()
        && f.attrs.is_empty()
}

/// Counts and a sketch of one metric's values in one group.
#[derive(Clone)]
pub struct Agg {
    pub n: u64,
    pub good: u64,
    pub ni: u64,
    pub poor: u64,
    pub sketch: DDSketch,
}

impl Default for Agg {
    fn default() -> Agg {
        Agg {
            n: 0,
            good: 0,
            ni: 0,
            poor: 0,
            sketch: DDSketch::new(Config::defaults()),
        }
    }
}

/// A sketch that could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("roll-up sketch: {0}")]
pub struct SketchError(#[from] postcard::Error);

impl Agg {
    pub fn add(&mut self, m: Metric, v: f64) {
        self.n += 1;
        match m.rate(v) {
            Rating::Good => self.good += 1,
            Rating::Ni => self.ni += 1,
            Rating::Poor => self.poor += 1,
        }
        self.sketch.add(v);
    }

    pub fn merge(&mut self, o: &Agg) {
        self.n += o.n;
        self.good += o.good;
        self.ni += o.ni;
        self.poor += o.poor;
        self.sketch
            .merge(&o.sketch)
            .expect("sketches share one config");
    }

    pub fn encode_sketch(&self) -> Vec<u8> {
        postcard::to_allocvec(&self.sketch).expect("a sketch serializes")
    }

    pub fn decode_sketch(bytes: &[u8]) -> Result<DDSketch, SketchError> {
        Ok(postcard::from_bytes(bytes)?)
    }

    /// The value at rank `k` (0-based) of the sorted values: exact at both
    /// ends, within the sketch's 1% in between.
    fn at_rank(&self, k: u64) -> f64 {
        let (min, max) = (
            self.sketch.min().unwrap_or(0.0),
            self.sketch.max().unwrap_or(0.0),
        );
        if k == 0 {
            return min;
        }
        if k + 1 >= self.n {
            return max;
        }
        // The crate's rank is floor(q · (n - 1)); aim at the middle of `k`.
        let q = (k as f64 + 0.5) / (self.n - 1) as f64;
        let v = self.sketch.quantile(q).ok().flatten().unwrap_or(min);
        // A bucket's midpoint can lie just outside the values seen.
        v.clamp(min, max)
    }

    /// The `p`th percentile interpolated between neighbouring ranks, as the
    /// exact path (`quantile_cont`) does.
    pub fn percentile(&self, p: u8) -> f64 {
        let r = f64::from(p) / 100.0 * (self.n.saturating_sub(1)) as f64;
        let k = r.floor() as u64;
        let (a, frac) = (self.at_rank(k), r - k as f64);
        if frac == 0.0 {
            a
        } else {
            a + (self.at_rank(k + 1) - a) * frac
        }
    }

    fn group(&self, key: Option<String>, p: u8) -> VitalsGroup {
        let share = |c: u64| c as f64 / self.n as f64;
        VitalsGroup {
            key,
            value: self.percentile(p),
            count: self.n,
            good: share(self.good),
            ni: share(self.ni),
            poor: share(self.poor),
        }
    }
}

/// Interns the strings of one hour's rows, so grouping hashes integers.
#[derive(Default)]
struct Interner {
    ids: HashMap<Option<String>, u32>,
    values: Vec<Option<String>>,
}

impl Interner {
    fn id(&mut self, s: Option<String>) -> u32 {
        if let Some(&id) = self.ids.get(&s) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(s.clone());
        self.ids.insert(s, id);
        id
    }
}

/// (env, release, dimension index, key), interned.
type GroupKey = (u32, u32, u8, u32);

/// One stored roll-up row: a group of one hour and its metrics, in
/// [`Metric::ALL`] order (`None` where no view of the group had the metric).
pub struct RollupRow {
    pub env: Option<String>,
    pub release: Option<String>,
    pub dim: &'static str,
    pub key: Option<String>,
    pub metrics: [Option<Agg>; 7],
}

/// Values of one dimension an hour's roll-up keeps, per env and release:
/// the most viewed; the rest are merged under [`OTHER`]. A client sending
/// millions of distinct routes cannot grow the roll-ups with them.
pub const TOP_VALUES: usize = 1000;
/// Distinct values gathered per dimension before new ones go straight to
/// [`OTHER`]: bounds the memory of rolling up such an hour.
const GATHERED_VALUES: usize = 10 * TOP_VALUES;
/// The group of the values past [`TOP_VALUES`].
pub const OTHER: &str = "(other)";

/// Builds one hour's roll-up rows from its views.
#[derive(Default)]
pub struct HourRollup {
    strings: Interner,
    groups: HashMap<GroupKey, [Option<Agg>; 7]>,
    /// Distinct values gathered per (env, release, dimension).
    gathered: HashMap<(u32, u32, u8), usize>,
}

impl HourRollup {
    /// Adds a view, its values in [`source_columns`] order.
    pub fn add(
        &mut self,
        env: Option<String>,
        dims: [Option<String>; 6],
        values: [Option<f64>; 7],
    ) {
        let release_at = DIMS
            .iter()
            .position(|d| *d == Dimension::Release)
            .expect("release is a dimension");
        let env = self.strings.id(env);
        let release = self.strings.id(dims[release_at].clone());
        for (d, dim) in DIMS.iter().enumerate() {
            let key = match dim.column() {
                Some(_) => self.key(env, release, d as u8, dims[d].clone()),
                None => self.strings.id(None),
            };
            let slot = self.groups.entry((env, release, d as u8, key)).or_default();
            for (i, v) in values.iter().enumerate() {
                if let Some(v) = v {
                    slot[i]
                        .get_or_insert_with(Agg::default)
                        .add(Metric::ALL[i], *v);
                }
            }
        }
    }

    /// A value's id, or [`OTHER`]'s once its dimension gathered
    /// [`GATHERED_VALUES`] others.
    fn key(&mut self, env: u32, release: u32, d: u8, value: Option<String>) -> u32 {
        if let Some(&id) = self.strings.ids.get(&value) {
            if self.groups.contains_key(&(env, release, d, id)) {
                return id;
            }
        }
        let gathered = self.gathered.entry((env, release, d)).or_default();
        if *gathered >= GATHERED_VALUES {
            return self.strings.id(Some(OTHER.to_string()));
        }
        *gathered += 1;
        self.strings.id(value)
    }

    /// Keeps the [`TOP_VALUES`] most viewed values of each (env, release,
    /// dimension), merging the rest into [`OTHER`].
    fn fold_the_tail(&mut self) {
        let other = self.strings.id(Some(OTHER.to_string()));
        let mut by_dim: HashMap<(u32, u32, u8), Vec<(u32, u64)>> = HashMap::new();
        for ((env, release, d, key), metrics) in &self.groups {
            let views = metrics.iter().flatten().map(|a| a.n).max().unwrap_or(0);
            by_dim
                .entry((*env, *release, *d))
                .or_default()
                .push((*key, views));
        }
        for ((env, release, d), mut keys) in by_dim {
            keys.retain(|(key, _)| *key != other);
            if keys.len() <= TOP_VALUES {
                continue;
            }
            keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            for (key, _) in keys.split_off(TOP_VALUES) {
                let tail = self.groups.remove(&(env, release, d, key)).expect("listed");
                let merged = self.groups.entry((env, release, d, other)).or_default();
                for (slot, part) in merged.iter_mut().zip(tail) {
                    if let Some(part) = part {
                        slot.get_or_insert_with(Agg::default).merge(&part);
                    }
                }
            }
        }
    }

    /// The rows, those of one dimension together (for the scans that read
    /// one).
    pub fn rows(mut self) -> Vec<RollupRow> {
        self.fold_the_tail();
        let text = |id: u32| self.strings.values[id as usize].clone();
        let mut groups: Vec<_> = self.groups.into_iter().collect();
        groups.sort_by_key(|((env, release, d, key), _)| (*d, *env, *release, *key));
        groups
            .into_iter()
            .map(|((env, release, d, key), metrics)| RollupRow {
                env: text(env),
                release: text(release),
                dim: dim_name(DIMS[d as usize]),
                key: text(key),
                metrics,
            })
            .collect()
    }
}

/// The parts of `[from, to)` outside the rolled-up hours (sorted).
pub fn uncovered(from: i64, to: i64, rolled: &[i64]) -> Vec<(i64, i64)> {
    let mut gaps = Vec::new();
    let mut at = from;
    for &h in rolled {
        if h > at {
            gaps.push((at, h));
        }
        at = h + HOUR_MS;
    }
    if at < to {
        gaps.push((at, to));
    }
    gaps
}

/// Whether to answer from roll-ups, given the whole rolled-up hours in a
/// question's range: returns the raw ranges left to read, or `None` when
/// the exact path is as fast (no whole hour rolled up, or many holes).
pub fn plan(f: &Filters, rolled: &[i64]) -> Option<Vec<(i64, i64)>> {
    let raw = uncovered(f.from, f.to, rolled);
    (!rolled.is_empty() && raw.len() <= 8).then_some(raw)
}

/// A vitals answer put together from roll-up rows and raw values.
#[derive(Default)]
pub struct VitalsMerge {
    merged: HashMap<Option<String>, Agg>,
}

impl VitalsMerge {
    pub fn add_rolled(&mut self, key: Option<String>, part: Agg) {
        self.merged
            .entry(key)
            .and_modify(|a| a.merge(&part))
            .or_insert(part);
    }

    pub fn add_raw(&mut self, key: Option<String>, m: Metric, v: f64) {
        self.merged.entry(key).or_default().add(m, v);
    }

    /// The groups as the exact path orders them: biggest first, then by
    /// key, NULL last; at most 50.
    pub fn finish(self, p: u8) -> Vec<VitalsGroup> {
        let mut groups: Vec<VitalsGroup> = self
            .merged
            .into_iter()
            .filter(|(_, a)| a.n > 0)
            .map(|(k, a)| a.group(k, p))
            .collect();
        groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.key.is_none().cmp(&b.key.is_none()))
                .then_with(|| a.key.cmp(&b.key))
        });
        groups.truncate(50);
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncovered_leaves_the_edges_and_the_holes() {
        let h = HOUR_MS;
        assert_eq!(
            uncovered(10, 5 * h, &[h, 2 * h, 4 * h]),
            vec![(10, h), (3 * h, 4 * h)]
        );
        assert_eq!(
            uncovered(h, 3 * h + 7, &[h, 2 * h]),
            vec![(3 * h, 3 * h + 7)]
        );
        assert_eq!(uncovered(h, 2 * h, &[h]), vec![]);
        assert_eq!(uncovered(0, 7, &[]), vec![(0, 7)]);
    }

    #[test]
    fn an_hour_of_countless_distinct_routes_keeps_the_top_values_and_other() {
        let mut h = HourRollup::default();
        let view = |h: &mut HourRollup, page: String| {
            let mut dims: [Option<String>; 6] = Default::default();
            dims[0] = Some(page);
            let mut values = [None; 7];
            values[0] = Some(1000.0);
            h.add(None, dims, values);
        };
        for _ in 0..50 {
            view(&mut h, "/hot".into());
        }
        for i in 0..200_000 {
            view(&mut h, format!("/r/{i}"));
        }
        let page = dim_name(DIMS[0]);
        let rows: Vec<RollupRow> = h.rows().into_iter().filter(|r| r.dim == page).collect();
        assert_eq!(rows.len(), TOP_VALUES + 1, "the top values and other");
        let n = |key: &str| {
            rows.iter()
                .find(|r| r.key.as_deref() == Some(key))
                .and_then(|r| r.metrics[0].as_ref())
                .map_or(0, |a| a.n)
        };
        assert_eq!(n("/hot"), 50, "the most viewed value is kept");
        assert_eq!(
            n(OTHER),
            200_000 - (TOP_VALUES as u64 - 1),
            "no view is lost"
        );
    }

    #[test]
    fn a_sketch_survives_encoding() {
        let mut a = Agg::default();
        for v in [120.0, 2600.0, 4100.0] {
            a.add(Metric::Lcp, v);
        }
        let back = Agg::decode_sketch(&a.encode_sketch()).unwrap();
        assert_eq!(back.count(), 3);
        assert_eq!((a.good, a.ni, a.poor), (1, 1, 1));
    }
}
