//! What can be asked of a store and what it answers, independent of any
//! backend: the query API parses [`Params`] into typed queries, the stores
//! answer with the result types here, the server serialises them.

mod params;
mod results;

pub use params::{
    Dimension, Filters, Params, QueryError, ResourceOrder, ResourcesQuery, Series, SessionsQuery,
    TimeseriesQuery, VitalsQuery, DAY_MS,
};
pub use results::{
    crash_free, histogram_edges, Bucket, EventJson, IssueDetail, IssueRow, KeyCount, MetricSummary,
    MinifiedPosition, Point, ReplaySegmentInfo, ResourceRow, SessionDetail, SessionRef, SessionRow,
    SourceContext, StackFrame, Summary, ViewRow, VitalsGroup,
};
