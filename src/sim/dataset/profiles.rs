//! The `profiles` dataset: one collection of user-profile documents in three schema
//! versions, as an application that evolved its document shape would leave them:
//!
//! - v1 (about 40%): flat `name` string, `email`, optional `phone`, `signup` date,
//!   `newsletter` flag.
//! - v2 (about 35%): `name` becomes `{first, last}`, `addresses` array (0-3), `signup_at`
//!   ISO timestamp, `newsletter` flag.
//! - v3 (about 25%): `contacts` array of typed entries (`{type, value, primary,
//!   verified_at?}`) replaces `email`/`phone`, `preferences` sub-document, `credit` number.
//!
//! Dirty data, as real collections have: about 1% of v1 phones are numbers, not strings,
//! and about 0.3% of v1 signup dates do not exist (`2021-02-30`), so a mapping to SQL must
//! report them.

use serde_json::{json, Map, Value as Json};

use super::words::{pick, CITY, FIRST, LAST, STREET};
use crate::sim::rng::SimRng;

/// The collection name.
pub const COLLECTION: &str = "profiles";

/// `n` documents with `_id` 1..=n.
pub fn generate(seed: u64, n: u64) -> Vec<Json> {
    let mut r = SimRng::substream(seed, "profiles/profiles");
    let mut nested = SimRng::substream(seed, "profiles/nested");
    (1..=n)
        .map(|id| {
            let v = r.unit_f64();
            if v < 0.40 {
                v1(&mut r, id)
            } else if v < 0.75 {
                v2(&mut r, &mut nested, id)
            } else {
                v3(&mut r, &mut nested, id)
            }
        })
        .collect()
}

fn email(r: &mut SimRng, first: &str, last: &str, id: u64) -> String {
    let domain = if r.chance(0.5) {
        "example.com"
    } else {
        "mail.test"
    };
    format!("{first}.{last}{id}@{domain}")
}

fn date(r: &mut SimRng) -> String {
    format!(
        "20{:02}-{:02}-{:02}",
        r.range_u64(15, 24),
        r.range_u64(1, 12),
        r.range_u64(1, 28)
    )
}

fn v1(r: &mut SimRng, id: u64) -> Json {
    let (first, last) = (pick(r, &FIRST), pick(r, &LAST));
    let mut m = Map::new();
    m.insert("_id".into(), json!(id));
    m.insert("schema_version".into(), json!(1));
    m.insert("name".into(), json!(format!("{first} {last}")));
    m.insert("email".into(), json!(email(r, first, last, id)));
    if r.chance(0.6) {
        let digits = r.range_u64(2_000_000_000, 9_999_999_999);
        let phone = if r.chance(0.017) {
            json!(digits)
        } else {
            json!(format!("+1{digits}"))
        };
        m.insert("phone".into(), phone);
    }
    let signup = if r.chance(0.003) {
        "2021-02-30".to_string()
    } else {
        date(r)
    };
    m.insert("signup".into(), json!(signup));
    m.insert("newsletter".into(), json!(r.chance(0.3)));
    Json::Object(m)
}

fn addresses(r: &mut SimRng) -> Json {
    let n = r.range_u64(0, 3);
    let items: Vec<Json> = (0..n)
        .map(|_| {
            json!({
                "street": format!("{} {}", r.range_u64(1, 300), pick(r, &STREET)),
                "city": pick(r, &CITY),
                "postal_code": format!("{:05}", r.range_u64(1_000, 99_999)),
            })
        })
        .collect();
    Json::Array(items)
}

fn v2(r: &mut SimRng, nested: &mut SimRng, id: u64) -> Json {
    let (first, last) = (pick(r, &FIRST), pick(r, &LAST));
    let signup = format!(
        "{}T{:02}:{:02}:00",
        date(r),
        r.range_u64(0, 23),
        r.range_u64(0, 59)
    );
    json!({
        "_id": id,
        "schema_version": 2,
        "name": {"first": first, "last": last},
        "email": email(r, first, last, id),
        "addresses": addresses(nested),
        "signup_at": signup,
        "newsletter": r.chance(0.3),
    })
}

fn v3(r: &mut SimRng, nested: &mut SimRng, id: u64) -> Json {
    let (first, last) = (pick(r, &FIRST), pick(r, &LAST));
    let mut contacts = vec![
        json!({"type": "email", "value": email(r, first, last, id), "primary": true, "verified_at": format!("{}T08:00:00", date(nested))}),
    ];
    for _ in 0..nested.range_u64(0, 3) {
        let (kind, value) = if nested.chance(0.5) {
            (
                "phone",
                format!("+44{}", nested.range_u64(1_000_000_000, 9_999_999_999)),
            )
        } else {
            ("social", format!("@{first}{}", nested.range_u64(1, 999)))
        };
        contacts.push(json!({"type": kind, "value": value, "primary": false}));
    }
    let mut name = json!({"first": first, "last": last});
    if r.chance(0.2) {
        name["middle"] = json!(pick(r, &FIRST));
    }
    json!({
        "_id": id,
        "schema_version": 3,
        "name": name,
        "contacts": contacts,
        "addresses": addresses(nested),
        "signup_at": format!("{}T12:00:00", date(r)),
        "preferences": {"newsletter": r.chance(0.4), "language": if r.chance(0.7) { "en" } else { "pt" }},
        "credit": r.range_u64(0, 100_000) as f64 / 100.0,
    })
}
