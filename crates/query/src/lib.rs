//! What can be asked of a store and what it answers, independent of any
//! backend: the query API parses [`Params`] into typed queries, the stores
//! answer with the result types here, the server serialises them.

mod params;
mod results;

pub use params::{
    ActionOrder, ActionsQuery, Dimension, Filters, IssueSort, IssuesQuery, Params, QueryError,
    ResourceOrder, ResourcesQuery, Series, SessionsQuery, TimeseriesQuery, VitalsQuery, DAY_MS,
};
pub use results::{
    crash_free, histogram_edges, ActionRow, Bucket, EventJson, IssueDetail, IssueRelease, IssueRow,
    KeyCount, MetricSummary, MinifiedPosition, Point, ReplaySegmentInfo, ResourceRow, ServiceRow,
    SessionDetail, SessionRef, SessionRow, SlowRequest, SourceContext, SpanRef, StackFrame,
    Summary, TraceDetail, Trend, ViewRow, VitalsGroup, Weighted, EXAMPLE_POOL, MAX_ISSUE_RELEASES,
    WEIGHT_SQL,
};
