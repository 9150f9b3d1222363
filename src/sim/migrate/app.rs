//! Application versions during a same-store schema change (expand / contract on the `users`
//! documents): v1 knows the old shape (`email`), v2 the new one (`contact.email`).
//!
//! How v1 writes matters. A `patch` sets only the field it changed. A `read_modify_write`
//! loads the whole document into v1's model, changes it and writes the model back: a field v1
//! does not know (the new `contact`, once the document was expanded or written by v2) is not
//! in the model and is silently dropped — the classic "old code drops the unknown field when
//! it writes a document back" trap, counted each time it happens. A compatibility adapter
//! between v1 and the store translates v1's document into the current shape: it keeps the
//! fields v1 does not know and carries v1's `email` into `contact.email`.
//!
//! While v1 still serves traffic after v2 was released, every interval with v1 requests
//! raises a deprecation warning.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// Deprecation warnings and dropped-field examples kept in a report; later ones are counted.
pub const APP_KEPT_MAX: usize = 20;

/// Fields of a `users` document that v1's model has.
pub const V1_FIELDS: [&str; 7] = [
    "_id",
    "schema_version",
    "name",
    "email",
    "tags",
    "age",
    "legacy_flag",
];

/// How the old application version writes a document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum V1Writes {
    /// Sets only the fields it changed.
    #[default]
    Patch,
    /// Reads the whole document into its model, changes it, writes the model back.
    ReadModifyWrite,
}

/// The application versions' settings (the scenario's `migration.app`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppSettings {
    /// How v1 writes. Default `patch`.
    pub v1_writes: V1Writes,
    /// A compatibility adapter translates v1's documents to the current shape. Default false.
    pub adapter: bool,
}

/// What the application versions did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AppReport {
    /// How v1 wrote (`patch` or `read_modify_write`).
    pub v1_writes_mode: String,
    /// Whether the adapter was on.
    pub adapter: bool,
    /// Writes by v1.
    pub v1_writes: u64,
    /// Writes by v2.
    pub v2_writes: u64,
    /// v1 writes the adapter translated to the current shape.
    pub adapted_writes: u64,
    /// v1 writes that dropped fields v1 does not know (the trap).
    pub unknown_field_drops: u64,
    /// The first drops: `collection/id: field, field`.
    pub drop_examples: Vec<String>,
    /// Intervals in which v1 still served requests after v2 was released.
    pub deprecation_warnings: u64,
    /// The first warnings, in words.
    pub warnings: Vec<String>,
}

impl AppReport {
    /// An empty report for these settings.
    pub fn new(s: &AppSettings) -> AppReport {
        AppReport {
            v1_writes_mode: match s.v1_writes {
                V1Writes::Patch => "patch",
                V1Writes::ReadModifyWrite => "read_modify_write",
            }
            .into(),
            adapter: s.adapter,
            ..AppReport::default()
        }
    }

    /// v1 is still in use at `at_ms`: `requests` in the last interval.
    pub fn deprecated(&mut self, at_ms: f64, requests: u64) {
        if requests == 0 {
            return;
        }
        self.deprecation_warnings += 1;
        if self.warnings.len() < APP_KEPT_MAX {
            self.warnings.push(format!(
                "deprecated v1 still in use at {at_ms:.0} ms: {requests} writes in the last interval"
            ));
        }
    }
}

/// The document v1 writes back when it set `email` on `stored` by read-modify-write, and
/// the fields it lost (none with the adapter, which keeps them and carries the new email
/// into `contact.email` when the document has that field).
pub fn v1_write_back(
    stored: &Json,
    email: &str,
    adapter: bool,
    r: &mut AppReport,
) -> (Json, Vec<String>) {
    let empty = Map::new();
    let fields = stored.as_object().unwrap_or(&empty);
    if adapter {
        let mut doc = fields.clone();
        doc.insert("email".into(), Json::from(email));
        if let Some(Json::Object(c)) = doc.get_mut("contact") {
            c.insert("email".into(), Json::from(email));
        }
        r.adapted_writes += 1;
        return (Json::Object(doc), Vec::new());
    }
    let mut model = Map::new();
    let mut lost = Vec::new();
    for (k, v) in fields {
        if V1_FIELDS.contains(&k.as_str()) {
            model.insert(k.clone(), v.clone());
        } else {
            lost.push(k.clone());
        }
    }
    model.insert("email".into(), Json::from(email));
    if !lost.is_empty() {
        r.unknown_field_drops += 1;
        if r.drop_examples.len() < APP_KEPT_MAX {
            let id = fields.get("_id").cloned().unwrap_or_default();
            r.drop_examples
                .push(format!("users/{id}: {}", lost.join(", ")));
        }
    }
    (Json::Object(model), lost)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v1_drops_the_field_it_does_not_know_unless_the_adapter_translates() {
        let stored = json!({"_id": 3, "name": "u", "email": "a@x", "contact": {"email": "a@x"}});
        let s = AppSettings {
            v1_writes: V1Writes::ReadModifyWrite,
            adapter: false,
        };
        let mut r = AppReport::new(&s);
        let (doc, lost) = v1_write_back(&stored, "b@x", false, &mut r);
        assert_eq!(doc, json!({"_id": 3, "name": "u", "email": "b@x"}));
        assert_eq!(lost, vec!["contact".to_string()]);
        assert_eq!(r.unknown_field_drops, 1);
        assert_eq!(r.drop_examples, vec!["users/3: contact".to_string()]);
        let (doc, lost) = v1_write_back(&stored, "b@x", true, &mut r);
        assert_eq!(doc["contact"]["email"], "b@x");
        assert!(lost.is_empty() && r.unknown_field_drops == 1 && r.adapted_writes == 1);
        // An old-shape document has nothing to lose.
        let old = json!({"_id": 4, "email": "c@x"});
        assert!(v1_write_back(&old, "d@x", false, &mut r).1.is_empty());
        assert_eq!(r.unknown_field_drops, 1);
        r.deprecated(200.0, 0);
        r.deprecated(400.0, 3);
        assert_eq!(r.deprecation_warnings, 1);
        assert!(r.warnings[0].contains("3 writes"));
    }
}
