//! The `content` dataset: posts, comments that reply to earlier comments of the same post
//! (a tree through `parent_id`; a few viral posts get hundreds), tags, and `post_tags`
//! (many-to-many, 0-5 tags per post).

use super::words::{pick, sentence, FIRST, LAST, TAGS};
use super::{fan_out, DAY_US, EPOCH_2020_DAYS};
use crate::sim::mapping::relational::Tables;
use crate::sim::rng::SimRng;
use crate::sim::sql::{Numeric, Row, Value};

/// The schema, as SQL text run by the SQL store.
pub const DDL: &str = "
CREATE TABLE posts (
  id BIGINT PRIMARY KEY,
  author VARCHAR(60) NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  published_at TIMESTAMP,
  is_draft BOOLEAN NOT NULL,
  rating NUMERIC(3,2)
);
CREATE TABLE comments (
  id BIGINT PRIMARY KEY,
  post_id BIGINT NOT NULL REFERENCES posts (id),
  parent_id BIGINT REFERENCES comments (id),
  author VARCHAR(60) NOT NULL,
  body TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  upvotes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name VARCHAR(40) NOT NULL UNIQUE
);
CREATE TABLE post_tags (
  post_id BIGINT NOT NULL REFERENCES posts (id),
  tag_id INTEGER NOT NULL REFERENCES tags (id),
  PRIMARY KEY (post_id, tag_id)
);
";

/// Tags: about one per 100 rows, between 3 and 200.
fn tag_count(rows: u64) -> u64 {
    (rows / 100).clamp(3, 200)
}

/// Fill the (empty) tables with exactly `rows` rows in total.
pub fn fill(t: &mut Tables, seed: u64, rows: u64) {
    let n_tags = tag_count(rows);
    let tags: Vec<Row> = (1..=n_tags)
        .map(|id| {
            let base = TAGS[(id as usize - 1) % TAGS.len()];
            let round = (id as usize - 1) / TAGS.len();
            let name = if round == 0 {
                base.to_string()
            } else {
                format!("{base}-{round}")
            };
            vec![Value::Int(id as i64), Value::Text(name)]
        })
        .collect();
    let mut budget = rows - n_tags;
    let mut posts_r = SimRng::substream(seed, "content/posts");
    let mut comments_r = SimRng::substream(seed, "content/comments");
    let mut tags_r = SimRng::substream(seed, "content/post_tags");
    let mut posts = Vec::with_capacity((budget / 9 + 1) as usize);
    let mut comments = Vec::with_capacity(budget as usize * 2 / 3);
    let mut post_tags = Vec::with_capacity(budget as usize / 4);
    while budget > 0 {
        budget -= 1;
        let id = posts.len() as i64 + 1;
        let at = post(&mut posts_r, &mut posts, id);
        let n = fan_out(&mut comments_r, 0, 12, 0.005, 400).min(budget);
        thread(&mut comments_r, &mut comments, id, at, n);
        budget -= n;
        let k = tags_r.range_u64(0, 5.min(n_tags)).min(budget);
        let mut chosen: Vec<i64> = Vec::with_capacity(k as usize);
        while (chosen.len() as u64) < k {
            let tag = tags_r.range_u64(1, n_tags) as i64;
            if !chosen.contains(&tag) {
                chosen.push(tag);
            }
        }
        crate::sim::sort::sort(&mut chosen);
        post_tags.extend(
            chosen
                .into_iter()
                .map(|tag| vec![Value::Int(id), Value::Int(tag)]),
        );
        budget -= k;
    }
    for (name, rows) in [
        ("posts", posts),
        ("comments", comments),
        ("tags", tags),
        ("post_tags", post_tags),
    ] {
        if let Some(table) = t.get_mut(name) {
            table.rows = rows;
        }
    }
}

fn person(r: &mut SimRng) -> String {
    format!("{}_{}", pick(r, &FIRST), pick(r, &LAST))
}

/// One post; returns its timestamp (comments come after it).
fn post(r: &mut SimRng, posts: &mut Vec<Row>, id: i64) -> i64 {
    let at = (EPOCH_2020_DAYS + r.range_u64(0, 1_800) as i64) * DAY_US
        + r.range_u64(0, 86_399) as i64 * 1_000_000;
    let draft = r.chance(0.1);
    let words = r.range_u64(3, 9);
    let title = sentence(r, words);
    let words = r.range_u64(10, 60);
    let body = sentence(r, words);
    let rating = if r.chance(0.3) {
        Value::Null
    } else {
        Value::Numeric(Numeric {
            unscaled: r.range_u64(100, 500) as i128,
            scale: 2,
        })
    };
    posts.push(vec![
        Value::Int(id),
        Value::Text(person(r)),
        Value::Text(title),
        Value::Text(body),
        if draft {
            Value::Null
        } else {
            Value::Timestamp(at)
        },
        Value::Bool(draft),
        rating,
    ]);
    at
}

/// `n` comments on post `post`; each replies to an earlier comment of the post half the time.
fn thread(r: &mut SimRng, comments: &mut Vec<Row>, post: i64, after: i64, n: u64) {
    let first = comments.len() as i64 + 1;
    let mut at = after;
    for _ in 0..n {
        let id = comments.len() as i64 + 1;
        let parent = if id > first && r.chance(0.5) {
            Value::Int(r.range_u64(first as u64, id as u64 - 1) as i64)
        } else {
            Value::Null
        };
        at += r.range_u64(1, 7_200) as i64 * 1_000_000;
        let words = r.range_u64(3, 25);
        comments.push(vec![
            Value::Int(id),
            Value::Int(post),
            parent,
            Value::Text(person(r)),
            Value::Text(sentence(r, words)),
            Value::Timestamp(at),
            Value::Int(r.range_u64(0, 50) as i64),
        ]);
    }
}
