//! Versioned persistence of both tree kinds: one envelope (a format name
//! for messages, a `version` field, the body's fields beside it) written
//! and read by [`write_model`] / [`read_model`], and the field readers
//! with which each body is read, so that a corrupt or hand-edited file is
//! refused with the field at fault named (`nodes[3].left: …`) instead of
//! loading and failing on use. The whole model is validated before it is
//! returned.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{CiblageError, Result};

/// The largest `n_features` a model file may declare without holding that
/// many bytes: sizes that drive allocations are bounded by the larger of
/// this and the length of the file.
pub(crate) const MIN_SIZE_BOUND: usize = 1 << 24;

/// The bound on a declared size for a file of `text_len` bytes.
pub(crate) fn size_bound(text_len: usize) -> usize {
    text_len.max(MIN_SIZE_BOUND)
}

/// An [`CiblageError::InvalidModelFile`] for `what`, naming `field`.
pub(crate) fn fault(
    what: &'static str,
    field: &str,
    reason: impl std::fmt::Display,
) -> CiblageError {
    CiblageError::InvalidModelFile {
        what,
        reason: format!("{field}: {reason}"),
    }
}

/// Parses the text as one JSON object.
pub(crate) fn parse_object(what: &'static str, text: &str) -> Result<Map<String, Value>> {
    let value: Value = serde_json::from_str(text).map_err(|e| CiblageError::InvalidModelFile {
        what,
        reason: format!("not readable as JSON: {e}"),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(CiblageError::InvalidModelFile {
            what,
            reason: format!("expected a JSON object, got {}", kind_of(&other)),
        }),
    }
}

/// The JSON type of a value, for messages.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One JSON object of a model file, at `path` (empty for the top level).
pub(crate) struct Fields<'a> {
    what: &'static str,
    path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// The top-level object.
    pub(crate) fn top(what: &'static str, map: &'a Map<String, Value>) -> Self {
        Self {
            what,
            path: String::new(),
            map,
        }
    }

    /// The name of field `key` here (`nodes[3].split`).
    pub(crate) fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// An error naming field `key`.
    pub(crate) fn fault(&self, key: &str, reason: impl std::fmt::Display) -> CiblageError {
        fault(self.what, &self.name(key), reason)
    }

    /// Refuses keys other than `known`.
    pub(crate) fn deny_unknown(&self, known: &[&str]) -> Result<()> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(self.fault(k, "unknown field")),
            None => Ok(()),
        }
    }

    /// The value of a required field.
    fn raw(&self, key: &str) -> Result<&'a Value> {
        self.map
            .get(key)
            .ok_or_else(|| self.fault(key, "missing field"))
    }

    /// A required field read as `T`.
    pub(crate) fn get<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let v = self.raw(key)?;
        T::deserialize(v).map_err(|e| self.fault(key, e))
    }

    /// An optional field (absent or null: the default) read as `T`.
    pub(crate) fn get_or_default<T: DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(T::default()),
            Some(v) => T::deserialize(v).map_err(|e| self.fault(key, e)),
        }
    }

    /// A number that is only shown, never computed with: JSON has no NaN
    /// or infinity (they are written as null), so null reads as NaN.
    pub(crate) fn shown_number(&self, key: &str) -> Result<f64> {
        match self.raw(key)? {
            Value::Null => Ok(f64::NAN),
            v => f64::deserialize(v).map_err(|e| self.fault(key, e)),
        }
    }

    /// The elements of an array field, read as `T` one by one so that an
    /// error names the element (`children_left[4]`).
    pub(crate) fn list<T: DeserializeOwned>(&self, key: &str, optional: bool) -> Result<Vec<T>> {
        let items = match (self.map.get(key), optional) {
            (None | Some(Value::Null), true) => return Ok(Vec::new()),
            (None, false) => return Err(self.fault(key, "missing field")),
            (Some(Value::Array(items)), _) => items,
            (Some(other), _) => {
                return Err(self.fault(key, format!("expected an array, got {}", kind_of(other))))
            }
        };
        if let Ok(all) = Vec::<T>::deserialize(self.raw(key)?) {
            return Ok(all);
        }
        items
            .iter()
            .enumerate()
            .map(|(i, v)| T::deserialize(v).map_err(|e| self.fault(&format!("{key}[{i}]"), e)))
            .collect()
    }

    /// The elements of an array of objects, each read by `read`.
    pub(crate) fn objects<T>(
        &self,
        key: &str,
        mut read: impl FnMut(usize, Fields<'a>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let items = match self.raw(key)? {
            Value::Array(items) => items,
            other => {
                return Err(self.fault(key, format!("expected an array, got {}", kind_of(other))))
            }
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let path = self.name(&format!("{key}[{i}]"));
                match v {
                    Value::Object(map) => read(
                        i,
                        Fields {
                            what: self.what,
                            path,
                            map,
                        },
                    ),
                    other => Err(fault(
                        self.what,
                        &path,
                        format!("expected an object, got {}", kind_of(other)),
                    )),
                }
            })
            .collect()
    }

    /// An optional object field (absent or null: `None`), read by `read`.
    pub(crate) fn object<T>(
        &self,
        key: &str,
        read: impl FnOnce(Fields<'a>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => read(Fields {
                what: self.what,
                path: self.name(key),
                map,
            })
            .map(Some),
            Some(other) => Err(self.fault(
                key,
                format!("expected an object or null, got {}", kind_of(other)),
            )),
        }
    }
}

/// A model saved as one JSON object: its body's fields with a `version`
/// field beside them.
pub(crate) trait ModelFile: Serialize + Sized {
    /// What messages call a file of this format (`CART model`).
    const FORMAT: &'static str;
    /// The format version this build writes and reads.
    const VERSION: u32;
    /// The body's fields (all but `version`).
    const BODY: &'static [&'static str];

    /// Reads the body from the top-level object of a file of `text_len`
    /// bytes (the bound on the sizes it may declare, see [`size_bound`]).
    fn read_body(fields: &Fields<'_>, text_len: usize) -> Result<Self>;

    /// Checks that the whole model can be used.
    fn validate(&self) -> Result<()>;
}

/// The model as JSON text (its `version` field among the body's).
pub(crate) fn write_model<M: ModelFile>(model: &M) -> String {
    serde_json::to_string(model).expect("tree models serialize")
}

/// Reads a model written by [`write_model`]: one JSON object, no field
/// but `version` and the body's, the version this build reads, the body,
/// then the whole model validated.
pub(crate) fn read_model<M: ModelFile>(text: &str) -> Result<M> {
    let map = parse_object(M::FORMAT, text)?;
    let fields = Fields::top(M::FORMAT, &map);
    if let Some(k) = map
        .keys()
        .find(|k| k.as_str() != "version" && !M::BODY.contains(&k.as_str()))
    {
        return Err(fields.fault(k, "unknown field"));
    }
    check_version(&fields, M::VERSION)?;
    let model = M::read_body(&fields, text.len())?;
    model.validate()?;
    Ok(model)
}

/// Checks a format version tag.
fn check_version(fields: &Fields<'_>, known: u32) -> Result<()> {
    let version: u64 = fields.get("version")?;
    if version != u64::from(known) {
        return Err(fields.fault(
            "version",
            format!("format version {version} (this build reads {known})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_field_and_element() {
        let map = parse_object("M", r#"{"a": [1, 2, -3], "b": "x", "c": {"d": true}}"#).unwrap();
        let f = Fields::top("M", &map);
        let e = f.list::<u32>("a", false).unwrap_err().to_string();
        assert!(e.starts_with("M: a[2]: invalid value"), "{e}");
        let e = f.get::<u32>("b").unwrap_err().to_string();
        assert!(e.starts_with("M: b: invalid type"), "{e}");
        let e = f.get::<u32>("zz").unwrap_err().to_string();
        assert_eq!(e, "M: zz: missing field");
        let e = f
            .object("c", |c| c.get::<u32>("d"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("M: c.d: invalid type"), "{e}");
        assert_eq!(
            f.deny_unknown(&["a", "b"]).unwrap_err().to_string(),
            "M: c: unknown field"
        );
        let e = parse_object("M", "[1]").unwrap_err().to_string();
        assert_eq!(e, "M: expected a JSON object, got an array");
        assert!(parse_object("M", "{\"a\": ").is_err());
    }
}
