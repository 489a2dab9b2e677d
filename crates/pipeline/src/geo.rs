//! Country and region of a request, from CDN headers or an `.mmdb` file.
//! Runs at intake (it needs the IP); only the result is spooled.

use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub country: Option<String>,
    pub region: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("geo database {path}: {source}")]
pub struct GeoError {
    path: String,
    source: maxminddb::MaxMindDbError,
}

/// Where to look: headers first (a CDN knows better than a stale database),
/// then the optional MaxMind / DB-IP database.
pub struct Geo {
    country_headers: Vec<String>,
    region_headers: Vec<String>,
    db: Option<maxminddb::Reader<Vec<u8>>>,
}

impl std::fmt::Debug for Geo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geo")
            .field("country_headers", &self.country_headers)
            .field("db", &self.db.is_some())
            .finish()
    }
}

// The fields of GeoLite2/GeoIP2 Country and City and DB-IP lite databases
// that Fovea uses.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    country: Option<IsoCode<'a>>,
    #[serde(borrow, default)]
    subdivisions: Option<Vec<IsoCode<'a>>>,
}

#[derive(Deserialize)]
struct IsoCode<'a> {
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

impl Geo {
    pub fn new(
        country_headers: Vec<String>,
        region_headers: Vec<String>,
        mmdb: Option<&Path>,
    ) -> Result<Geo, GeoError> {
        let db = mmdb
            .map(|p| {
                maxminddb::Reader::open_readfile(p).map_err(|source| GeoError {
                    path: p.display().to_string(),
                    source,
                })
            })
            .transpose()?;
        Ok(Geo {
            country_headers: country_headers
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            region_headers: region_headers
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            db,
        })
    }

    /// `header` looks a request header up by lower-case name.
    pub fn locate<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        ip: Option<IpAddr>,
    ) -> Location {
        let pick = |names: &[String]| {
            names.iter().find_map(|n| {
                header(n)
                    .map(str::trim)
                    .filter(|v| v.len() <= 8 && !v.is_empty() && *v != "XX" && *v != "T1")
                    .map(str::to_ascii_uppercase)
            })
        };
        let mut loc = Location {
            country: pick(&self.country_headers),
            region: pick(&self.region_headers),
        };
        if loc.country.is_none() {
            if let (Some(db), Some(ip)) = (&self.db, ip) {
                if let Ok(Some(rec)) = db.lookup(ip).and_then(|r| r.decode::<Record>()) {
                    loc.country = rec.country.and_then(|c| c.iso_code).map(str::to_string);
                    loc.region = rec
                        .subdivisions
                        .and_then(|s| s.into_iter().next())
                        .and_then(|s| s.iso_code)
                        .map(str::to_string);
                }
            }
        }
        loc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_configured_header_wins() {
        let geo = Geo::new(
            vec!["CF-IPCountry".into(), "CloudFront-Viewer-Country".into()],
            vec!["cloudfront-viewer-country-region".into()],
            None,
        )
        .unwrap();
        let headers = |name: &str| match name {
            "cloudfront-viewer-country" => Some("de"),
            "cloudfront-viewer-country-region" => Some("BY"),
            _ => None,
        };
        let loc = geo.locate(headers, None);
        assert_eq!(loc.country.as_deref(), Some("DE"));
        assert_eq!(loc.region.as_deref(), Some("BY"));
        // Cloudflare's "unknown" and "Tor" codes are not countries.
        assert_eq!(
            geo.locate(|n| (n == "cf-ipcountry").then_some("XX"), None)
                .country,
            None
        );
    }

    /// A GeoLite2-Country-shaped database (written with `maxminddb-writer`):
    /// IPv6 like the real ones, IPv4 mapped under `::/96`; 192.0.2.0/24 in
    /// Bavaria, Germany, and 2001:db8::/32 in France.
    fn country_db(dir: &Path) -> std::path::PathBuf {
        use maxminddb_writer::metadata::IpVersion;
        use maxminddb_writer::paths::IpAddrWithMask;
        let mut db = maxminddb_writer::Database::default();
        db.metadata.database_type = "GeoLite2-Country".into();
        db.metadata.ip_version = IpVersion::V6;
        db.metadata.binary_format_major_version = 2;
        let networks = [
            (
                "::192.0.2.0/120",
                serde_json::json!({"country": {"iso_code": "DE"}, "subdivisions": [{"iso_code": "BY"}]}),
            ),
            (
                "2001:db8::/32",
                serde_json::json!({"country": {"iso_code": "FR"}}),
            ),
        ];
        for (net, record) in networks {
            let data = db.insert_value(record).unwrap();
            db.insert_node(net.parse::<IpAddrWithMask>().unwrap(), data);
        }
        let path = dir.join("country.mmdb");
        db.write_to(std::fs::File::create(&path).unwrap()).unwrap();
        path
    }

    #[test]
    fn the_database_locates_an_ip_when_no_header_does() {
        let dir = tempfile::tempdir().unwrap();
        let geo = Geo::new(
            vec!["cf-ipcountry".into()],
            vec![],
            Some(&country_db(dir.path())),
        )
        .unwrap();
        let no_headers = |_: &str| None;
        let loc = geo.locate(no_headers, "192.0.2.7".parse().ok());
        assert_eq!(loc.country.as_deref(), Some("DE"));
        assert_eq!(loc.region.as_deref(), Some("BY"));
        // Unknown to the database, or no IP at all: no location, no error.
        assert_eq!(
            geo.locate(no_headers, "198.51.100.1".parse().ok()),
            Location::default()
        );
        let loc = geo.locate(no_headers, "2001:db8::1".parse().ok());
        assert_eq!(loc.country.as_deref(), Some("FR"));
        assert_eq!(loc.region, None);
        assert_eq!(
            geo.locate(no_headers, "2001:db9::1".parse().ok()),
            Location::default()
        );
        assert_eq!(geo.locate(no_headers, None), Location::default());
        // A CDN's header beats the database.
        let loc = geo.locate(
            |n| (n == "cf-ipcountry").then_some("FR"),
            "192.0.2.7".parse().ok(),
        );
        assert_eq!(loc.country.as_deref(), Some("FR"));
    }

    #[test]
    fn a_missing_database_is_an_error_at_start() {
        assert!(Geo::new(vec![], vec![], Some(Path::new("/nonexistent.mmdb"))).is_err());
    }
}
