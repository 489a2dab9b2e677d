/// One stored segment of a session replay: a few seconds of rrweb events,
/// scrubbed, as the store keeps them. `(app_id, session_id, index)` names
/// it; a segment stored again under the same name replaces the first.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplaySegment {
    pub app_id: String,
    pub session_id: String,
    pub view_id: Option<String>,
    pub index: u32,
    /// First and last event timestamps, ms since the epoch (drift-corrected).
    pub start: i64,
    pub end: i64,
    /// Number of rrweb events.
    pub events: u32,
    /// Whether the segment holds a full snapshot (rrweb type 2), where
    /// playback can start.
    pub full_snapshot: bool,
    /// The rrweb events as one JSON array, gzip-compressed.
    pub data: Vec<u8>,
    /// Server clock when the segment arrived.
    pub received_at: i64,
}
