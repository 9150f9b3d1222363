//! Word pools for generated text. Fixed lists, so generated data depends only on the seed.

use crate::sim::rng::SimRng;

/// Given names.
pub const FIRST: [&str; 24] = [
    "ada", "ben", "chen", "dana", "eli", "farah", "gus", "hana", "ivan", "jun", "kofi", "lena",
    "mia", "noor", "omar", "pia", "quinn", "rosa", "sami", "tara", "uma", "vik", "wen", "yusuf",
];
/// Family names.
pub const LAST: [&str; 20] = [
    "alvarez", "brown", "costa", "dubois", "evans", "fischer", "garcia", "haddad", "ito", "jensen",
    "kim", "lopez", "meyer", "nakamura", "okafor", "patel", "rossi", "silva", "tanaka", "weber",
];
/// Cities.
pub const CITY: [&str; 12] = [
    "Lisbon", "Osaka", "Lagos", "Austin", "Lyon", "Leipzig", "Pune", "Porto", "Quito", "Tartu",
    "Bergen", "Perth",
];
/// Street names.
pub const STREET: [&str; 10] = [
    "Main St",
    "Oak Ave",
    "Harbour Rd",
    "Mill Lane",
    "Station Rd",
    "Park Ave",
    "Hill St",
    "River Rd",
    "Church St",
    "King St",
];
/// Product adjectives.
pub const ADJ: [&str; 10] = [
    "Compact", "Deluxe", "Eco", "Classic", "Smart", "Rugged", "Mini", "Pro", "Silent", "Bright",
];
/// Product nouns.
pub const NOUN: [&str; 10] = [
    "Kettle",
    "Lamp",
    "Backpack",
    "Chair",
    "Headphones",
    "Blender",
    "Desk",
    "Jacket",
    "Watch",
    "Speaker",
];
/// Filler words for titles and bodies.
pub const WORDS: [&str; 32] = [
    "data",
    "replica",
    "schema",
    "index",
    "query",
    "latency",
    "shard",
    "commit",
    "log",
    "table",
    "document",
    "field",
    "migration",
    "rollback",
    "version",
    "cluster",
    "lag",
    "write",
    "read",
    "cache",
    "batch",
    "stream",
    "key",
    "value",
    "merge",
    "split",
    "node",
    "fault",
    "retry",
    "quorum",
    "snapshot",
    "checksum",
];
/// Tag vocabulary (tags beyond the list get a number suffix).
pub const TAGS: [&str; 16] = [
    "postgres",
    "mongodb",
    "rust",
    "wasm",
    "replication",
    "migrations",
    "performance",
    "testing",
    "design",
    "ops",
    "security",
    "tutorial",
    "news",
    "release",
    "howto",
    "opinion",
];

/// One element of a pool, uniformly.
pub fn pick<'a>(rng: &mut SimRng, pool: &[&'a str]) -> &'a str {
    pool[rng.range_u64(0, pool.len() as u64 - 1) as usize]
}

/// `n` filler words separated by spaces.
pub fn sentence(rng: &mut SimRng, n: u64) -> String {
    let mut s = String::with_capacity(n as usize * 8);
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(pick(rng, &WORDS));
    }
    s
}
