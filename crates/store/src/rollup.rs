//! Hourly vitals roll-ups, the part every backend shares: which hours and
//! groups there are, the counts and DDSketch of a group, merging them and
//! reading a percentile back. Backends only read an hour's views, store the
//! rows this builds, and hand stored rows back to [`VitalsMerge`].
//!
//! For every closed hour, a roll-up keeps one row per (env, release,
//! dimension, key) with, for each metric, the exact count, the good /
//! needs-improvement / poor counts and a DDSketch of the values (relative
//! error ≤ 1%). For each filter dimension (page, browser, device, country)
//! it also keeps one row per (filter value, other dimension, key): the
//! "crossed" rows, which answer a question filtered on one of them. A vitals
//! question over whole rolled-up hours merges those rows; the hours it also
//! covers that are not rolled up (the open hour, partial hours at the edges,
//! hours that late beacons touched) are read raw.

use std::collections::{HashMap, HashSet};

use fovea_query::{Dimension, Filters, VitalsGroup, VitalsQuery};
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

/// The dimensions a roll-up crosses with the others, so that a question
/// filtered on one of them reads roll-ups too.
pub const FILTER_DIMS: [Dimension; 4] = [
    Dimension::Page,
    Dimension::Browser,
    Dimension::Device,
    Dimension::Country,
];

/// The value of a filter dimension a question sets, if it sets one.
fn filter_value(f: &Filters, d: Dimension) -> Option<&str> {
    match d {
        Dimension::Page => f.page.as_deref(),
        Dimension::Browser => f.browser.as_deref(),
        Dimension::Device => f.device.as_deref(),
        Dimension::Country => f.country.as_deref(),
        _ => None,
    }
}

/// The `crossed` mark of an hour that every filter dimension can read
/// (also a quiet hour's: it has no rows to cross).
pub fn all_crossed() -> String {
    crossed_mark(FILTER_DIMS.iter().copied())
}

/// `,route,browser,` for those dimensions: a mark a backend tests with
/// `LIKE '%,route,%'` (see [`RolledRows::crossed_like`]).
fn crossed_mark(dims: impl Iterator<Item = Dimension>) -> String {
    let mut s = String::from(",");
    for d in dims {
        s.push_str(dim_name(d));
        s.push(',');
    }
    s
}

/// Where an answer's group key comes from in a roll-up row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFrom {
    /// The row's `key`.
    Key,
    /// The row's `release` (every row keeps it).
    Release,
    /// No grouping: every row goes to one group.
    Nothing,
}

/// The table of the crossed rows; the others are in `vitals_hourly`, which
/// unfiltered questions scan without the crossed ones.
pub const CROSSED_TABLE: &str = "vitals_crossed";

/// Copies of the views stored into rolled-up hours since their roll-up
/// (late views), which questions add to the roll-up until the hour is
/// rolled up again (each backend says how it knows which copies count).
pub const LATE_TABLE: &str = "views_late";

/// The roll-up rows that answer a vitals question: in the crossed table
/// when `fdim` is set, with `fdim`, `fkey`, `dim` and (when set) `key`
/// equal to these, plus the question's env and release; rows of hours
/// whose mark crosses `filter`, if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct RolledRows {
    pub fdim: Option<&'static str>,
    pub fkey: Option<String>,
    pub dim: &'static str,
    pub key: Option<String>,
    pub key_from: KeyFrom,
    /// The dimension the question filters on (`dim_name`), whose hours
    /// must be crossed and must not have folded values into [`OTHER`].
    pub filter: Option<&'static str>,
}

impl RolledRows {
    /// Which rows answer `q`, or `None` when roll-ups cannot: a filter on
    /// the user, on attributes or on more than one dimension.
    pub fn of(q: &VitalsQuery) -> Option<RolledRows> {
        let f = &q.filters;
        if f.user.is_some() || !f.attrs.is_empty() {
            return None;
        }
        let mut set = FILTER_DIMS
            .iter()
            .filter_map(|d| filter_value(f, *d).map(|v| (*d, v)));
        let filtered = set.next();
        if set.next().is_some() {
            return None;
        }
        let Some((fd, v)) = filtered else {
            return Some(RolledRows {
                fdim: None,
                fkey: None,
                dim: dim_name(q.by),
                key: None,
                key_from: KeyFrom::Key,
                filter: None,
            });
        };
        // One filter: ungrouped, by itself or by release, the filter
        // dimension's own rows hold the answer; by another dimension, the
        // crossed rows.
        let own = |key_from| RolledRows {
            fdim: None,
            fkey: None,
            dim: dim_name(fd),
            key: Some(v.to_string()),
            key_from,
            filter: Some(dim_name(fd)),
        };
        Some(match q.by {
            Dimension::None => own(KeyFrom::Nothing),
            Dimension::Release => own(KeyFrom::Release),
            by if by == fd => own(KeyFrom::Key),
            by => RolledRows {
                fdim: Some(dim_name(fd)),
                fkey: Some(v.to_string()),
                dim: dim_name(by),
                key: None,
                key_from: KeyFrom::Key,
                filter: Some(dim_name(fd)),
            },
        })
    }

    /// The table the rows are in.
    pub fn table(&self) -> &'static str {
        match self.fdim {
            Some(_) => CROSSED_TABLE,
            None => "vitals_hourly",
        }
    }

    /// The columns the rows must have equal to a value, besides `app`,
    /// `dim` and the hours: (column, value) where a value is set.
    pub fn equalities<'a>(&'a self, f: &'a Filters) -> Vec<(&'static str, &'a str)> {
        [
            ("fdim", self.fdim),
            ("fkey", self.fkey.as_deref()),
            ("key", self.key.as_deref()),
            ("env", f.env.as_deref()),
            ("release", f.release.as_deref()),
        ]
        .into_iter()
        .filter_map(|(col, v)| v.map(|v| (col, v)))
        .collect()
    }

    /// The `LIKE` pattern an hour's `crossed` mark must match, if any.
    pub fn crossed_like(&self) -> Option<String> {
        self.filter.map(|d| format!("%,{d},%"))
    }
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

    /// Adds a group of raw values of one sketch bucket ([`bucket_sql`]):
    /// its smallest and largest values, its count per rating; the other
    /// values go in as the smallest, which lands them in the same bucket,
    /// so the sketch is the one adding each value would have built.
    pub fn add_bucket(&mut self, min: f64, max: f64, [good, ni, poor]: [u64; 3]) {
        let n = good + ni + poor;
        self.n += n;
        self.good += good;
        self.ni += ni;
        self.poor += poor;
        self.sketch.add(min);
        if n > 1 {
            self.sketch.add(max);
        }
        for _ in 2..n {
            self.sketch.add(min);
        }
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

/// (env, release, filter dimension index or [`NO_FILTER`], filter key,
/// dimension index, key), interned.
type GroupKey = (u32, u32, u8, u32, u8, u32);

/// The filter dimension index of a group that has none.
const NO_FILTER: u8 = u8::MAX;

/// One stored roll-up row: a group of one hour and its metrics, in
/// [`Metric::ALL`] order (`None` where no view of the group had the metric).
pub struct RollupRow {
    pub env: Option<String>,
    pub release: Option<String>,
    /// The filter dimension of a crossed row (which goes to
    /// [`CROSSED_TABLE`]), `None` for the others.
    pub fdim: Option<&'static str>,
    pub fkey: Option<String>,
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
/// Crossed groups an hour may hold in all (each holds up to seven
/// sketches of 1–2 KB): past it, the filter dimension with the most groups
/// is no longer crossed in that hour, and questions filtered on it read
/// that hour's rows.
pub const CROSSED_GROUPS: usize = 8192;
/// The group of the values past [`TOP_VALUES`].
pub const OTHER: &str = "(other)";

/// The indexes in [`DIMS`] of the dimensions a filter dimension is crossed
/// with: every grouping column but itself and release (every row keeps
/// the release).
fn crossed_with(fd: usize) -> impl Iterator<Item = usize> {
    DIMS.iter().enumerate().filter_map(move |(d, dim)| {
        (d != fd && dim.column().is_some() && *dim != Dimension::Release).then_some(d)
    })
}

/// The index in [`DIMS`] of each of [`FILTER_DIMS`].
fn filter_index(fd: Dimension) -> usize {
    DIMS.iter()
        .position(|d| *d == fd)
        .expect("a grouping dimension")
}

/// Builds one hour's roll-up rows from its views.
#[derive(Default)]
pub struct HourRollup {
    strings: Interner,
    groups: HashMap<GroupKey, [Option<Agg>; 7]>,
    /// Distinct values gathered per (env, release, dimension).
    gathered: HashMap<(u32, u32, u8), usize>,
    /// Crossed groups per filter dimension (index in [`DIMS`]); a
    /// dimension dropped past [`CROSSED_GROUPS`] is absent.
    crossed: HashMap<u8, usize>,
    dropped: Vec<u8>,
}

fn add_values(slot: &mut [Option<Agg>; 7], values: &[Option<f64>; 7]) {
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            slot[i]
                .get_or_insert_with(Agg::default)
                .add(Metric::ALL[i], *v);
        }
    }
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
        let none = self.strings.id(None);
        let mut keys = [none; 7];
        for (d, dim) in DIMS.iter().enumerate() {
            if dim.column().is_some() {
                keys[d] = self.key(env, release, d as u8, dims[d].clone());
            }
            let slot = self
                .groups
                .entry((env, release, NO_FILTER, none, d as u8, keys[d]))
                .or_default();
            add_values(slot, &values);
        }
        let other = self.strings.id(Some(OTHER.to_string()));
        for fd in FILTER_DIMS.map(filter_index) {
            let f = fd as u8;
            // A value folded into OTHER is not crossed: its hour's OTHER
            // row sends questions filtered on this dimension to the rows.
            // Nor is a view without a value: no filter matches it.
            if keys[fd] == other || keys[fd] == none || self.dropped.contains(&f) {
                continue;
            }
            for d in crossed_with(fd) {
                let group = (env, release, f, keys[fd], d as u8, keys[d]);
                if !self.groups.contains_key(&group) {
                    let total: usize = self.crossed.values().sum();
                    if total >= CROSSED_GROUPS {
                        // The dimension with the most values pays.
                        let (&most, _) = self
                            .crossed
                            .iter()
                            .max_by_key(|(f, n)| (**n, **f))
                            .expect("groups are counted");
                        self.drop_crossed(most);
                        if most == f {
                            break;
                        }
                    }
                    *self.crossed.entry(f).or_default() += 1;
                }
                add_values(self.groups.entry(group).or_default(), &values);
            }
        }
    }

    /// Stops crossing a filter dimension in this hour, freeing its groups.
    fn drop_crossed(&mut self, f: u8) {
        self.groups.retain(|k, _| k.2 != f);
        self.crossed.remove(&f);
        self.dropped.push(f);
    }

    /// The hour's `crossed` mark: the filter dimensions it kept crossed.
    pub fn crossed(&self) -> String {
        crossed_mark(
            FILTER_DIMS
                .into_iter()
                .filter(|d| !self.dropped.contains(&(filter_index(*d) as u8))),
        )
    }

    /// A value's id, or [`OTHER`]'s once its dimension gathered
    /// [`GATHERED_VALUES`] others.
    fn key(&mut self, env: u32, release: u32, d: u8, value: Option<String>) -> u32 {
        let none = self.strings.id(None);
        if let Some(&id) = self.strings.ids.get(&value) {
            if self
                .groups
                .contains_key(&(env, release, NO_FILTER, none, d, id))
            {
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
    /// dimension), merging the rest into [`OTHER`]: in the dimension's own
    /// rows and where it is crossed; a folded filter value's crossed rows
    /// are dropped (the OTHER row marks its hour for filtered questions).
    fn fold_the_tail(&mut self) {
        let other = self.strings.id(Some(OTHER.to_string()));
        let mut by_dim: HashMap<(u32, u32, u8), Vec<(u32, u64)>> = HashMap::new();
        for ((env, release, f, _, d, key), metrics) in &self.groups {
            if *f != NO_FILTER {
                continue;
            }
            let views = metrics.iter().flatten().map(|a| a.n).max().unwrap_or(0);
            by_dim
                .entry((*env, *release, *d))
                .or_default()
                .push((*key, views));
        }
        let mut folded: HashMap<(u32, u32, u8), HashSet<u32>> = HashMap::new();
        for ((env, release, d), mut keys) in by_dim {
            keys.retain(|(key, _)| *key != other);
            if keys.len() <= TOP_VALUES {
                continue;
            }
            keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let tail = keys.split_off(TOP_VALUES).into_iter().map(|(k, _)| k);
            folded.insert((env, release, d), tail.collect());
        }
        if folded.is_empty() {
            return;
        }
        let is_folded = |env, release, d, key| {
            folded
                .get(&(env, release, d))
                .is_some_and(|keys: &HashSet<u32>| keys.contains(&key))
        };
        let moved: Vec<GroupKey> = self
            .groups
            .keys()
            .filter(|(env, release, f, fkey, d, key)| {
                (*f != NO_FILTER && is_folded(*env, *release, *f, *fkey))
                    || is_folded(*env, *release, *d, *key)
            })
            .copied()
            .collect();
        for group in moved {
            let tail = self.groups.remove(&group).expect("listed");
            let (env, release, f, fkey, d, key) = group;
            if f != NO_FILTER && is_folded(env, release, f, fkey) {
                continue;
            }
            debug_assert!(is_folded(env, release, d, key));
            let merged = self
                .groups
                .entry((env, release, f, fkey, d, other))
                .or_default();
            for (slot, part) in merged.iter_mut().zip(tail) {
                if let Some(part) = part {
                    slot.get_or_insert_with(Agg::default).merge(&part);
                }
            }
        }
    }

    /// The rows, those of one (filter, dimension) together (for the scans
    /// that read one).
    pub fn rows(mut self) -> Vec<RollupRow> {
        self.fold_the_tail();
        let text = |id: u32| self.strings.values[id as usize].clone();
        let mut groups: Vec<_> = self.groups.into_iter().collect();
        groups.sort_by_key(|((env, release, f, fkey, d, key), _)| {
            (*f, *fkey, *d, *env, *release, *key)
        });
        groups
            .into_iter()
            .map(|((env, release, f, fkey, d, key), metrics)| RollupRow {
                env: text(env),
                release: text(release),
                fdim: (f != NO_FILTER).then(|| dim_name(DIMS[f as usize])),
                fkey: (f != NO_FILTER).then(|| text(fkey)).flatten(),
                dim: dim_name(DIMS[d as usize]),
                key: text(key),
                metrics,
            })
            .collect()
    }
}

/// The raw rows a roll-up answer reads: those in `[from, to)` of the hours
/// listed (`ts` divided by [`HOUR_MS`]), which, with the question's own
/// bounds, are exactly `ranges`. An `IN` list (ORed ranges cost a
/// comparison per range and row), which ClickHouse's sort key serves.
pub fn raw_hours(ranges: &[(i64, i64)]) -> Option<(i64, i64, String)> {
    let (first, last) = (ranges.first()?, ranges.last()?);
    let mut hours: Vec<i64> = ranges
        .iter()
        .flat_map(|(a, b)| a.div_euclid(HOUR_MS)..=(b - 1).div_euclid(HOUR_MS))
        .collect();
    hours.dedup();
    let list: Vec<String> = hours.iter().map(i64::to_string).collect();
    Some((first.0, last.1, list.join(", ")))
}

/// The SQL of a value's sketch bucket (what [`Agg`]'s DDSketch maps it to,
/// to the last bit or one bucket off at an edge), given the backend's
/// natural logarithm: raw rows grouped by it are added as their group's
/// extremes and count (see [`Agg::add_bucket`]).
pub fn bucket_sql(col: &str, ln: &str) -> String {
    let per_bucket = Config::defaults().log_gamma(std::f64::consts::E);
    format!("CASE WHEN {col} > 0 THEN ceil({ln}({col}) * {per_bucket:?}) ELSE 0 END")
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
/// question's range: returns the raw ranges left to read (however many:
/// late views leave holes until the next roll-up, and the backends read
/// them all in one grouped query), or `None` when no whole hour is rolled
/// up.
pub fn plan(f: &Filters, rolled: &[i64]) -> Option<Vec<(i64, i64)>> {
    (!rolled.is_empty()).then(|| uncovered(f.from, f.to, rolled))
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

    /// Adds raw values of one key and sketch bucket (see
    /// [`Agg::add_bucket`]).
    pub fn add_raw(&mut self, key: Option<String>, min: f64, max: f64, counts: [u64; 3]) {
        self.merged
            .entry(key)
            .or_default()
            .add_bucket(min, max, counts);
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

    fn question(by: Dimension, f: impl FnOnce(&mut Filters)) -> VitalsQuery {
        let mut filters = Filters::last_day(0);
        f(&mut filters);
        VitalsQuery {
            metric: Metric::Lcp,
            p: 75,
            by,
            filters,
        }
    }

    #[test]
    fn one_filter_reads_its_own_rows_or_the_crossed_ones() {
        let unfiltered = RolledRows::of(&question(Dimension::Page, |_| {})).unwrap();
        assert_eq!(
            (unfiltered.fdim, unfiltered.dim, unfiltered.filter),
            (None, "route", None)
        );
        assert_eq!(unfiltered.crossed_like(), None);
        let crossed = RolledRows::of(&question(Dimension::Page, |f| {
            f.browser = Some("Chrome".into())
        }))
        .unwrap();
        assert_eq!(
            (
                crossed.fdim,
                crossed.fkey.as_deref(),
                crossed.dim,
                crossed.key.as_deref()
            ),
            (Some("browser"), Some("Chrome"), "route", None)
        );
        assert_eq!(crossed.crossed_like().as_deref(), Some("%,browser,%"));
        for (by, key_from) in [
            (Dimension::None, KeyFrom::Nothing),
            (Dimension::Country, KeyFrom::Key),
            (Dimension::Release, KeyFrom::Release),
        ] {
            let own = RolledRows::of(&question(by, |f| f.country = Some("DE".into()))).unwrap();
            assert_eq!(
                (own.fdim, own.dim, own.key.as_deref(), own.key_from),
                (None, "country", Some("DE"), key_from)
            );
        }
        for rows_only in [
            question(Dimension::Page, |f| {
                f.browser = Some("Chrome".into());
                f.device = Some("mobile".into());
            }),
            question(Dimension::Page, |f| f.user = Some("u".into())),
            question(Dimension::Page, |f| {
                f.attrs = vec![("plan".into(), "pro".into())]
            }),
        ] {
            assert_eq!(RolledRows::of(&rows_only), None);
        }
    }

    fn dims(page: &str, browser: &str, country: &str) -> [Option<String>; 6] {
        [
            Some(page.into()),
            Some(browser.into()),
            Some("desktop".into()),
            Some(country.into()),
            None,
            None,
        ]
    }

    #[test]
    fn a_dimension_past_the_crossed_groups_budget_is_no_longer_crossed() {
        let mut h = HourRollup::default();
        let mut values = [None; 7];
        values[0] = Some(1000.0);
        // A new country at every view: crossed with every other dimension,
        // it grows the crossed groups past the budget (at ~1160 views) and
        // goes first; the others, each crossed with country too, would
        // follow by ~2700 views.
        for i in 0..2000 {
            h.add(
                None,
                dims(&format!("/p{}", i % 9), "Chrome", &format!("C{i}")),
                values,
            );
        }
        let crossed = h.crossed();
        assert_eq!(crossed, ",route,browser,device,");
        let rows = h.rows();
        let crossed_rows: Vec<&RollupRow> = rows.iter().filter(|r| r.fdim.is_some()).collect();
        assert!(crossed_rows.len() <= CROSSED_GROUPS);
        assert!(crossed_rows.iter().all(|r| r.fdim != Some("country")));
        for fdim in ["route", "browser", "device"] {
            assert_eq!(
                crossed.contains(&format!(",{fdim},")),
                crossed_rows.iter().any(|r| r.fdim == Some(fdim)),
                "{fdim}: crossed rows exactly where the mark says"
            );
        }
    }

    #[test]
    fn folded_values_are_not_crossed_and_fold_where_they_are_crossed() {
        let mut h = HourRollup::default();
        let mut values = [None; 7];
        values[0] = Some(1000.0);
        for _ in 0..5 {
            h.add(None, dims("/hot", "Chrome", "DE"), values);
        }
        for i in 0..TOP_VALUES {
            h.add(None, dims(&format!("/r/{i}"), "Firefox", "FR"), values);
        }
        let rows = h.rows();
        let n = |r: &RollupRow| r.metrics[0].as_ref().map_or(0, |a| a.n);
        // One /r/ page went to "(other)": no crossed rows of its own, and
        // where pages are crossed (browser = Firefox by page) it is in
        // "(other)" too.
        let page_rows: Vec<&RollupRow> = rows.iter().filter(|r| r.fdim == Some("route")).collect();
        assert!(page_rows.iter().all(|r| r.fkey.as_deref() != Some(OTHER)));
        assert_eq!(
            page_rows.iter().filter(|r| r.dim == "browser").count(),
            TOP_VALUES,
            "the kept pages, each by browser"
        );
        let firefox_other: u64 = rows
            .iter()
            .filter(|r| r.fdim == Some("browser") && r.fkey.as_deref() == Some("Firefox"))
            .filter(|r| r.dim == "route" && r.key.as_deref() == Some(OTHER))
            .map(n)
            .sum();
        assert_eq!(firefox_other, 1);
        let firefox_pages: u64 = rows
            .iter()
            .filter(|r| r.fdim == Some("browser") && r.fkey.as_deref() == Some("Firefox"))
            .filter(|r| r.dim == "route")
            .map(n)
            .sum();
        assert_eq!(firefox_pages, TOP_VALUES as u64, "no view is lost");
        assert_eq!(HourRollup::default().crossed(), all_crossed());
    }

    /// What the backends' bucket SQL groups by, in Rust.
    fn bucket(v: f64) -> i64 {
        let per_bucket = Config::defaults().log_gamma(std::f64::consts::E);
        if v > 0.0 {
            (v.ln() * per_bucket).ceil() as i64
        } else {
            0
        }
    }

    #[test]
    fn raw_values_added_by_bucket_build_the_sketch_of_each_value() {
        let mut seed = 5u64;
        let values: Vec<f64> = (0..20_000)
            .map(|i| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                match i % 10 {
                    0 => 0.0,
                    _ => ((seed >> 20) % 8_000_000) as f64 / 1000.0,
                }
            })
            .collect();
        let mut each = Agg::default();
        let mut groups: HashMap<i64, (f64, f64, [u64; 3])> = HashMap::new();
        for &v in &values {
            each.add(Metric::Lcp, v);
            let g = groups.entry(bucket(v)).or_insert((v, v, [0; 3]));
            g.0 = g.0.min(v);
            g.1 = g.1.max(v);
            g.2[Metric::Lcp.rate(v) as usize] += 1;
        }
        let mut grouped = Agg::default();
        for (min, max, counts) in groups.into_values() {
            grouped.add_bucket(min, max, counts);
        }
        assert_eq!(
            (grouped.n, grouped.good, grouped.ni, grouped.poor),
            (each.n, each.good, each.ni, each.poor)
        );
        for p in [0u8, 1, 25, 50, 75, 90, 99, 100] {
            assert_eq!(grouped.percentile(p), each.percentile(p), "p{p}");
        }
    }

    #[test]
    fn raw_hours_list_every_hour_the_ranges_touch() {
        let h = HOUR_MS;
        assert_eq!(raw_hours(&[]), None);
        assert_eq!(
            raw_hours(&[(10, h), (3 * h, 4 * h), (4 * h, 5 * h + 7)]),
            Some((10, 5 * h + 7, "0, 3, 4, 5".to_string()))
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
