use serde::{Deserialize, Serialize};

/// How a spooled body is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Ndjson,
    /// A session replay segment (`replay.rs`), not events.
    Replay,
    /// An OTLP trace request as protobuf (`otlp.rs`).
    Spans,
}

/// What the intake knew about a request besides its body. The client IP is
/// not here: geo is resolved before the batch is spooled, so no IP ever
/// reaches the disk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchMeta {
    pub app_id: String,
    /// Server clock when the request arrived, ms since the epoch.
    pub received_at: i64,
    pub user_agent: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
}

/// One accepted request: the unit the spool stores and the writer replays.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub meta: BatchMeta,
    pub format: Format,
    /// Decompressed body, exactly as validated.
    pub body: Vec<u8>,
}

const RECORD_VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
#[error("spool record is malformed: {0}")]
pub struct RecordError(&'static str);

impl Batch {
    /// Spool record layout: version, format, meta length (u32 LE), meta JSON, body.
    pub fn encode(&self) -> Vec<u8> {
        let meta = serde_json::to_vec(&self.meta).expect("batch meta serializes");
        let mut out = Vec::with_capacity(6 + meta.len() + self.body.len());
        out.push(RECORD_VERSION);
        out.push(match self.format {
            Format::Json => 0,
            Format::Ndjson => 1,
            Format::Replay => 2,
            Format::Spans => 3,
        });
        out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        out.extend_from_slice(&meta);
        out.extend_from_slice(&self.body);
        out
    }

    pub fn decode(record: &[u8]) -> Result<Batch, RecordError> {
        if record.len() < 6 || record[0] != RECORD_VERSION {
            return Err(RecordError("unknown version"));
        }
        let format = match record[1] {
            0 => Format::Json,
            1 => Format::Ndjson,
            2 => Format::Replay,
            3 => Format::Spans,
            _ => return Err(RecordError("unknown format")),
        };
        let len = u32::from_le_bytes(record[2..6].try_into().expect("4 bytes")) as usize;
        let meta_end = 6usize
            .checked_add(len)
            .filter(|&end| end <= record.len())
            .ok_or(RecordError("meta length past the end"))?;
        let meta = serde_json::from_slice(&record[6..meta_end]).map_err(|_| RecordError("meta"))?;
        Ok(Batch {
            meta,
            format,
            body: record[meta_end..].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let batch = Batch {
            meta: BatchMeta {
                app_id: "a".into(),
                received_at: 42,
                user_agent: Some("Mozilla/5.0".into()),
                country: Some("DE".into()),
                region: None,
            },
            format: Format::Ndjson,
            body: b"{}\n{}".to_vec(),
        };
        assert_eq!(Batch::decode(&batch.encode()).unwrap(), batch);
    }

    #[test]
    fn truncated_records_are_refused() {
        let rec = Batch {
            meta: BatchMeta::default(),
            format: Format::Json,
            body: vec![],
        }
        .encode();
        assert!(Batch::decode(&rec[..rec.len() - 3]).is_err());
        assert!(Batch::decode(&[9, 0, 0, 0, 0, 0]).is_err());
    }
}
