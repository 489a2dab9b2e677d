//! The shared column lists (`crate::columns`) in DuckDB's terms: SQL types,
//! values and rows.

use duckdb::types::Value;

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

/// A row's cells as DuckDB values.
pub fn values(cells: Vec<Cell>) -> impl Iterator<Item = Value> {
    cells.into_iter().map(|c| match c {
        Cell::Null => Value::Null,
        Cell::Text(s) => Value::Text(s),
        Cell::I64(v) => Value::BigInt(v),
        Cell::U64(v) => Value::UBigInt(v),
        Cell::F64(v) => Value::Double(v),
        Cell::Bool(v) => Value::Boolean(v),
    })
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
