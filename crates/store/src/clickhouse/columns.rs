//! The shared column lists (`crate::columns`) in ClickHouse's terms: SQL
//! types, `JSONEachRow` values and rows.

use serde_json::{Map, Value};

use crate::columns::{Cell, Column, Row, Ty};
use crate::StoreError;

/// ClickHouse's type of a column (no `LowCardinality`: experimental on 18.16).
pub fn sql_type(ty: Ty) -> &'static str {
    match ty {
        Ty::Text => "String",
        Ty::OptText => "Nullable(String)",
        Ty::Uuid => "UUID",
        Ty::I64 => "Int64",
        Ty::U64 => "UInt64",
        Ty::U32 => "UInt32",
        Ty::OptU64 => "Nullable(UInt64)",
        Ty::OptU16 => "Nullable(UInt16)",
        Ty::OptF64 => "Nullable(Float64)",
        Ty::OptBool => "Nullable(UInt8)",
    }
}

/// Appends one row as a JSON object line.
pub fn push_row(out: &mut String, cols: impl Iterator<Item = &'static Column>, cells: Vec<Cell>) {
    let mut row = Map::with_capacity(64);
    for ((name, _), cell) in cols.zip(cells) {
        let v = match cell {
            Cell::Null => Value::Null,
            Cell::Text(s) => Value::String(s.into_owned()),
            Cell::Uuid(u) => Value::String(u.to_string()),
            Cell::I64(v) => v.into(),
            Cell::U64(v) => v.into(),
            // ClickHouse cannot store a non-finite number from JSON.
            Cell::F64(v) if v.is_finite() => v.into(),
            Cell::F64(_) => Value::Null,
            Cell::Bool(v) => u8::from(v).into(),
        };
        row.insert((*name).to_string(), v);
    }
    out.push_str(&Value::Object(row).to_string());
    out.push('\n');
}

/// `a, b, c` for a SELECT list.
pub fn select_list(cols: impl Iterator<Item = &'static Column>) -> String {
    cols.map(|(n, _)| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row of a `JSONEachRow` answer.
pub struct JsonRow(pub Map<String, Value>);

impl JsonRow {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }
}

impl Row for JsonRow {
    type Error = StoreError;
    fn text(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.invalid(name, format!("{v} is not text"))),
        }
    }
    fn i64(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.get(name)
            .map(|v| v.as_i64().ok_or_else(|| self.invalid(name, format!("{v}"))))
            .transpose()
    }
    fn u64(&self, name: &str) -> Result<Option<u64>, StoreError> {
        self.get(name)
            .map(|v| v.as_u64().ok_or_else(|| self.invalid(name, format!("{v}"))))
            .transpose()
    }
    fn f64(&self, name: &str) -> Result<Option<f64>, StoreError> {
        self.get(name)
            .map(|v| v.as_f64().ok_or_else(|| self.invalid(name, format!("{v}"))))
            .transpose()
    }
    fn bool(&self, name: &str) -> Result<Option<bool>, StoreError> {
        Ok(self.u64(name)?.map(|v| v != 0))
    }
    fn invalid(&self, name: &str, why: String) -> StoreError {
        StoreError::Rejected(format!("clickhouse column {name}: {why}"))
    }
}
