//! The shared column lists (`crate::columns`) in DuckDB's terms: SQL types,
//! values and rows.

use std::collections::HashMap;
use std::sync::Arc;

use duckdb::arrow::array::{
    ArrayRef, BooleanArray, BooleanBuilder, FixedSizeBinaryBuilder, Float64Builder, Int64Builder,
    StringBuilder, UInt16Builder, UInt32Builder, UInt64Builder,
};
use duckdb::arrow::compute::filter_record_batch;
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::error::ArrowError;
use duckdb::arrow::record_batch::RecordBatch;

use crate::columns::{Cell, Column, Row, Ty};

pub use crate::columns::{event_columns, view_columns};

/// DuckDB's type of a column.
pub fn sql_type(ty: Ty) -> &'static str {
    match ty {
        Ty::Text => "VARCHAR NOT NULL",
        Ty::OptText => "VARCHAR",
        Ty::Uuid => "UUID NOT NULL",
        Ty::I64 => "BIGINT NOT NULL",
        Ty::U64 => "UBIGINT NOT NULL",
        Ty::U32 => "UINTEGER NOT NULL",
        Ty::OptU64 => "UBIGINT",
        Ty::OptU16 => "USMALLINT",
        Ty::OptF64 => "DOUBLE",
        Ty::OptBool => "BOOLEAN",
    }
}

/// One column being built, in the Arrow type that maps to its DuckDB type.
enum Builder {
    Text(StringBuilder),
    Uuid(FixedSizeBinaryBuilder),
    I64(Int64Builder),
    U64(UInt64Builder),
    U32(UInt32Builder),
    U16(UInt16Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
}

impl Builder {
    fn new(ty: Ty, rows: usize) -> Builder {
        match ty {
            Ty::Text | Ty::OptText => Builder::Text(StringBuilder::with_capacity(rows, rows * 16)),
            Ty::Uuid => Builder::Uuid(FixedSizeBinaryBuilder::with_capacity(rows, 16)),
            Ty::I64 => Builder::I64(Int64Builder::with_capacity(rows)),
            Ty::U64 | Ty::OptU64 => Builder::U64(UInt64Builder::with_capacity(rows)),
            Ty::U32 => Builder::U32(UInt32Builder::with_capacity(rows)),
            Ty::OptU16 => Builder::U16(UInt16Builder::with_capacity(rows)),
            Ty::OptF64 => Builder::F64(Float64Builder::with_capacity(rows)),
            Ty::OptBool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
        }
    }

    fn data_type(&self) -> DataType {
        match self {
            Builder::Text(_) => DataType::Utf8,
            Builder::Uuid(_) => DataType::FixedSizeBinary(16),
            Builder::I64(_) => DataType::Int64,
            Builder::U64(_) => DataType::UInt64,
            Builder::U32(_) => DataType::UInt32,
            Builder::U16(_) => DataType::UInt16,
            Builder::F64(_) => DataType::Float64,
            Builder::Bool(_) => DataType::Boolean,
        }
    }

    fn push(&mut self, cell: &Cell) -> Result<(), ArrowError> {
        let out_of_range = |v: u64| ArrowError::CastError(format!("{v} out of the column's range"));
        match (self, cell) {
            (Builder::Text(b), Cell::Null) => b.append_null(),
            (Builder::Uuid(b), Cell::Null) => b.append_null(),
            (Builder::I64(b), Cell::Null) => b.append_null(),
            (Builder::U64(b), Cell::Null) => b.append_null(),
            (Builder::U32(b), Cell::Null) => b.append_null(),
            (Builder::U16(b), Cell::Null) => b.append_null(),
            (Builder::F64(b), Cell::Null) => b.append_null(),
            (Builder::Bool(b), Cell::Null) => b.append_null(),
            (Builder::Text(b), Cell::Text(s)) => b.append_value(&**s),
            (Builder::Uuid(b), Cell::Uuid(id)) => b.append_value(id.as_bytes())?,
            (Builder::I64(b), Cell::I64(v)) => b.append_value(*v),
            (Builder::U64(b), Cell::U64(v)) => b.append_value(*v),
            (Builder::U32(b), Cell::U64(v)) => {
                b.append_value(u32::try_from(*v).map_err(|_| out_of_range(*v))?)
            }
            (Builder::U16(b), Cell::U64(v)) => {
                b.append_value(u16::try_from(*v).map_err(|_| out_of_range(*v))?)
            }
            (Builder::F64(b), Cell::F64(v)) => b.append_value(*v),
            (Builder::Bool(b), Cell::Bool(v)) => b.append_value(*v),
            (b, cell) => {
                return Err(ArrowError::CastError(format!(
                    "{cell:?} in a {} column",
                    b.data_type()
                )))
            }
        }
        Ok(())
    }

    fn finish(self) -> ArrayRef {
        match self {
            Builder::Text(mut b) => Arc::new(b.finish()),
            Builder::Uuid(mut b) => Arc::new(b.finish()),
            Builder::I64(mut b) => Arc::new(b.finish()),
            Builder::U64(mut b) => Arc::new(b.finish()),
            Builder::U32(mut b) => Arc::new(b.finish()),
            Builder::U16(mut b) => Arc::new(b.finish()),
            Builder::F64(mut b) => Arc::new(b.finish()),
            Builder::Bool(mut b) => Arc::new(b.finish()),
        }
    }
}

/// Rows as one Arrow batch in the table's column order, for the
/// appender's columnar path: DuckDB copies each column once, where a row
/// appended cell by cell costs a call and a conversion per cell.
pub fn record_batch(
    columns: impl Iterator<Item = &'static Column>,
    rows: &[Vec<Cell>],
) -> Result<RecordBatch, ArrowError> {
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for (i, (name, ty)) in columns.enumerate() {
        let mut b = Builder::new(*ty, rows.len());
        for row in rows {
            let cell = row.get(i).ok_or_else(|| {
                ArrowError::InvalidArgumentError(format!("a row without column {name}"))
            })?;
            b.push(cell)?;
        }
        let mut field = Field::new(*name, b.data_type(), true);
        if *ty == Ty::Uuid {
            // What duckdb-rs reads as DuckDB's UUID type.
            field = field.with_metadata(HashMap::from([(
                "ARROW:extension:name".to_string(),
                "arrow.uuid".to_string(),
            )]));
        }
        fields.push(field);
        arrays.push(b.finish());
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
}

/// Rows as one Arrow batch, or none for no rows.
pub fn rows_batch<'a>(
    columns: impl Iterator<Item = &'static Column>,
    rows: impl Iterator<Item = Vec<Cell<'a>>>,
) -> duckdb::Result<Option<RecordBatch>> {
    let rows: Vec<_> = rows.collect();
    if rows.is_empty() {
        return Ok(None);
    }
    record_batch(columns, &rows)
        .map(Some)
        .map_err(|e| duckdb::Error::ToSqlConversionFailure(Box::new(e)))
}

/// The rows of `batch` whose `keep` is true; none when none is.
pub fn keep_rows(batch: Option<RecordBatch>, keep: &[bool]) -> duckdb::Result<Option<RecordBatch>> {
    match batch {
        _ if !keep.contains(&true) => Ok(None),
        Some(b) if keep.contains(&false) => {
            filter_record_batch(&b, &BooleanArray::from(keep.to_vec()))
                .map(Some)
                .map_err(|e| duckdb::Error::ToSqlConversionFailure(Box::new(e)))
        }
        b => Ok(b),
    }
}

/// Appends an Arrow batch of rows, in the table's column order.
pub fn append_batch(
    conn: &duckdb::Connection,
    table: &str,
    batch: Option<RecordBatch>,
) -> duckdb::Result<()> {
    let Some(batch) = batch else { return Ok(()) };
    let mut out = conn.appender(table)?;
    out.append_record_batch(batch)?;
    out.flush()
}

/// Appends rows to a table as one columnar batch.
pub fn append<'a>(
    conn: &duckdb::Connection,
    table: &str,
    columns: impl Iterator<Item = &'static Column>,
    rows: impl Iterator<Item = Vec<Cell<'a>>>,
) -> duckdb::Result<()> {
    append_batch(conn, table, rows_batch(columns, rows)?)
}

/// `a, b, c` for a SELECT list, optionally qualified with a table alias.
pub fn select_list(cols: impl Iterator<Item = &'static Column>, alias: &str) -> String {
    let dot = if alias.is_empty() {
        String::new()
    } else {
        format!("{alias}.")
    };
    cols.map(|(n, ty)| {
        // UUIDs are read back as text: duckdb-rs has no UUID conversion
        // without a feature that rebuilds DuckDB.
        if *ty == Ty::Uuid {
            format!("CAST({dot}\"{n}\" AS VARCHAR) AS \"{n}\"")
        } else {
            format!("{dot}\"{n}\"")
        }
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// Reads columns by name from a row selected with [`select_list`].
pub struct Cols<'r, 's>(pub &'r duckdb::Row<'s>);

impl Row for Cols<'_, '_> {
    type Error = duckdb::Error;
    fn text(&self, name: &str) -> duckdb::Result<Option<String>> {
        self.0.get(name)
    }
    fn i64(&self, name: &str) -> duckdb::Result<Option<i64>> {
        self.0.get(name)
    }
    fn u64(&self, name: &str) -> duckdb::Result<Option<u64>> {
        self.0.get(name)
    }
    fn f64(&self, name: &str) -> duckdb::Result<Option<f64>> {
        self.0.get(name)
    }
    fn bool(&self, name: &str) -> duckdb::Result<Option<bool>> {
        self.0.get(name)
    }
    fn invalid(&self, name: &str, why: String) -> duckdb::Error {
        duckdb::Error::FromSqlConversionFailure(
            0,
            duckdb::types::Type::Text,
            format!("{name}: {why}").into(),
        )
    }
}

pub fn view_from_row(row: &duckdb::Row) -> duckdb::Result<fovea_schema::Event> {
    crate::columns::view_from(&Cols(row))
}

pub fn event_from_row(row: &duckdb::Row) -> duckdb::Result<fovea_schema::Event> {
    crate::columns::event_from(&Cols(row))
}

#[cfg(test)]
mod tests {
    use duckdb::arrow::array::{Array, StringArray};

    use super::*;

    fn names(batch: &RecordBatch) -> Vec<String> {
        let col = batch.column(0).as_any().downcast_ref::<StringArray>();
        let col = col.expect("a text column");
        (0..col.len()).map(|i| col.value(i).to_string()).collect()
    }

    #[test]
    fn rows_found_stored_are_dropped_from_the_built_batch() {
        const COLUMNS: &[Column] = &[("name", Ty::Text), ("n", Ty::U64)];
        let rows = ["a", "b", "c"]
            .into_iter()
            .enumerate()
            .map(|(i, name)| vec![Cell::Text(name.into()), Cell::U64(i as u64)]);
        let built = rows_batch(COLUMNS.iter(), rows).unwrap();

        let kept = keep_rows(built.clone(), &[true, false, true])
            .unwrap()
            .unwrap();
        assert_eq!(names(&kept), ["a", "c"]);
        assert_eq!(kept.num_columns(), 2);
        let all = keep_rows(built, &[true, true, true]).unwrap().unwrap();
        assert_eq!(names(&all), ["a", "b", "c"]);
        assert!(keep_rows(Some(all), &[false, false, false])
            .unwrap()
            .is_none());
        assert!(keep_rows(None, &[]).unwrap().is_none());
        assert!(rows_batch(COLUMNS.iter(), std::iter::empty())
            .unwrap()
            .is_none());
    }
}
