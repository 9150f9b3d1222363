//! The `ecommerce` dataset: customers with 0-3 addresses and a few orders each (a heavy
//! tail of big buyers), orders with 1-8 items, items referencing popular products far more
//! often than others (high fan-in, so a suggestion references products instead of
//! embedding them).

use super::words::{pick, ADJ, CITY, FIRST, LAST, NOUN, STREET};
use super::{fan_out, DAY_US, EPOCH_2020_DAYS};
use crate::sim::mapping::relational::Tables;
use crate::sim::rng::SimRng;
use crate::sim::sql::{Numeric, Row, Value};

/// The schema, as SQL text run by the SQL store.
pub const DDL: &str = "
CREATE TABLE customers (
  id BIGINT PRIMARY KEY,
  email VARCHAR(120) NOT NULL,
  full_name TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  is_active BOOLEAN NOT NULL,
  birth_date DATE,
  lifetime_value NUMERIC(18,2) NOT NULL
);
CREATE TABLE addresses (
  id BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL REFERENCES customers (id),
  kind VARCHAR(16) NOT NULL,
  street TEXT NOT NULL,
  city TEXT NOT NULL,
  postal_code VARCHAR(10) NOT NULL,
  is_default BOOLEAN NOT NULL
);
CREATE TABLE products (
  id BIGINT PRIMARY KEY,
  sku VARCHAR(32) NOT NULL UNIQUE,
  name TEXT NOT NULL,
  price NUMERIC(10,2) NOT NULL,
  weight_kg REAL,
  in_stock BOOLEAN NOT NULL,
  added_on DATE NOT NULL
);
CREATE TABLE orders (
  id BIGINT PRIMARY KEY,
  customer_id BIGINT NOT NULL REFERENCES customers (id),
  status VARCHAR(16) NOT NULL,
  ordered_at TIMESTAMP NOT NULL,
  shipped_on DATE,
  total NUMERIC(12,2) NOT NULL,
  note TEXT
);
CREATE TABLE order_items (
  id BIGINT PRIMARY KEY,
  order_id BIGINT NOT NULL REFERENCES orders (id),
  product_id BIGINT NOT NULL REFERENCES products (id),
  quantity INTEGER NOT NULL,
  unit_price NUMERIC(10,2) NOT NULL
);
";

const STATUS: [&str; 5] = ["placed", "paid", "shipped", "delivered", "cancelled"];
const ADDRESS_KIND: [&str; 3] = ["home", "work", "shipping"];

struct Streams {
    customers: SimRng,
    addresses: SimRng,
    orders: SimRng,
    items: SimRng,
}

/// Products: about one per 50 rows, between 5 and 20,000.
fn product_count(rows: u64) -> u64 {
    (rows / 50).clamp(5, 20_000).min(rows / 2)
}

/// Fill the (empty) tables with exactly `rows` rows in total.
pub fn fill(t: &mut Tables, seed: u64, rows: u64) {
    let products = products(seed, product_count(rows));
    let prices: Vec<i128> = products.iter().map(|p| num_units(&p[3])).collect();
    let mut budget = rows - products.len() as u64;
    let mut s = Streams {
        customers: SimRng::substream(seed, "ecommerce/customers"),
        addresses: SimRng::substream(seed, "ecommerce/addresses"),
        orders: SimRng::substream(seed, "ecommerce/orders"),
        items: SimRng::substream(seed, "ecommerce/order_items"),
    };
    // Rough sizes up front so the big vectors never reallocate.
    let est_customers = (budget / 24 + 1) as usize;
    let mut out = Out {
        customers: Vec::with_capacity(est_customers),
        addresses: Vec::with_capacity(est_customers * 3 / 2),
        orders: Vec::with_capacity(est_customers * 5),
        items: Vec::with_capacity(budget as usize * 5 / 6),
    };
    while budget > 0 {
        budget -= 1;
        customer(&mut s, &mut out, &prices, &mut budget);
    }
    for (name, rows) in [
        ("customers", out.customers),
        ("addresses", out.addresses),
        ("products", products),
        ("orders", out.orders),
        ("order_items", out.items),
    ] {
        if let Some(table) = t.get_mut(name) {
            table.rows = rows;
        }
    }
}

struct Out {
    customers: Vec<Row>,
    addresses: Vec<Row>,
    orders: Vec<Row>,
    items: Vec<Row>,
}

fn num(unscaled: i128, scale: u32) -> Value {
    Value::Numeric(Numeric { unscaled, scale })
}

fn num_units(v: &Value) -> i128 {
    match v {
        Value::Numeric(n) => n.unscaled,
        _ => 0,
    }
}

fn products(seed: u64, n: u64) -> Vec<Row> {
    let mut r = SimRng::substream(seed, "ecommerce/products");
    (1..=n)
        .map(|id| {
            let name = format!("{} {}", pick(&mut r, &ADJ), pick(&mut r, &NOUN));
            let price = r.range_u64(199, 99_999) as i128;
            let weight = if r.chance(0.1) {
                Value::Null
            } else {
                Value::Real((r.range_u64(50, 25_000) as f32 / 1000.0) as f64)
            };
            vec![
                Value::Int(id as i64),
                Value::Text(format!("SKU-{id:06}-{}", r.range_u64(10, 99))),
                Value::Text(name),
                num(price, 2),
                weight,
                Value::Bool(r.chance(0.9)),
                Value::Date((EPOCH_2020_DAYS + r.range_u64(0, 1_800) as i64) as i32),
            ]
        })
        .collect()
}

fn customer(s: &mut Streams, out: &mut Out, prices: &[i128], budget: &mut u64) {
    let id = out.customers.len() as i64 + 1;
    let r = &mut s.customers;
    let (first, last) = (pick(r, &FIRST), pick(r, &LAST));
    let created_us = (EPOCH_2020_DAYS + r.range_u64(0, 1_500) as i64) * DAY_US
        + r.range_u64(0, DAY_US as u64 - 1) as i64;
    let birth = if r.chance(0.25) {
        Value::Null
    } else {
        Value::Date((r.range_u64(0, 18_000) as i64 - 7_000) as i32)
    };
    // A few corporate accounts carry 18-digit lifetime values: exact in NUMERIC, not in f64.
    let ltv = if r.chance(0.01) {
        r.range_u64(100_000_000_000_000_000, 999_999_999_999_999_999) as i128
    } else {
        r.range_u64(0, 5_000_000) as i128
    };
    out.customers.push(vec![
        Value::Int(id),
        Value::Text(format!("{first}.{last}.{id}@example.com")),
        Value::Text(format!("{} {}", capital(first), capital(last))),
        Value::Timestamp(created_us),
        Value::Bool(r.chance(0.85)),
        birth,
        num(ltv, 2),
    ]);
    let n_addr = s.addresses.range_u64(0, 3).min(*budget);
    for k in 0..n_addr {
        address(&mut s.addresses, out, id, k == 0);
    }
    *budget -= n_addr;
    let n_orders = fan_out(&mut s.orders, 0, 8, 0.02, 60);
    for _ in 0..n_orders {
        if *budget < 2 {
            break;
        }
        order(s, out, id, created_us, prices, budget);
    }
}

fn capital(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

fn address(r: &mut SimRng, out: &mut Out, customer: i64, first: bool) {
    let id = out.addresses.len() as i64 + 1;
    out.addresses.push(vec![
        Value::Int(id),
        Value::Int(customer),
        Value::Text(pick(r, &ADDRESS_KIND).to_string()),
        Value::Text(format!("{} {}", r.range_u64(1, 300), pick(r, &STREET))),
        Value::Text(pick(r, &CITY).to_string()),
        Value::Text(format!("{:05}", r.range_u64(1_000, 99_999))),
        Value::Bool(first),
    ]);
}

fn order(
    s: &mut Streams,
    out: &mut Out,
    customer: i64,
    after_us: i64,
    prices: &[i128],
    budget: &mut u64,
) {
    let id = out.orders.len() as i64 + 1;
    let r = &mut s.orders;
    // Millisecond timestamps, except a few with microseconds (so epoch-millis output loses).
    let mut at =
        after_us + r.range_u64(0, 400) as i64 * DAY_US + r.range_u64(0, 86_399_999) as i64 * 1_000;
    if r.chance(0.05) {
        at += r.range_u64(1, 999) as i64;
    }
    let status = pick(r, &STATUS);
    let shipped = if matches!(status, "shipped" | "delivered") {
        Value::Date((at.div_euclid(DAY_US) + r.range_u64(1, 6) as i64) as i32)
    } else {
        Value::Null
    };
    let note = if r.chance(0.05) {
        Value::Text("leave at the door".into())
    } else {
        Value::Null
    };
    *budget -= 1;
    let n_items = s.items.range_u64(1, 8).min(*budget);
    let mut total: i128 = 0;
    for _ in 0..n_items {
        total += item(&mut s.items, out, id, prices);
    }
    *budget -= n_items;
    out.orders.push(vec![
        Value::Int(id),
        Value::Int(customer),
        Value::Text(status.to_string()),
        Value::Timestamp(at),
        shipped,
        num(total, 2),
        note,
    ]);
}

/// One item; returns its line total in cents.
fn item(r: &mut SimRng, out: &mut Out, order: i64, prices: &[i128]) -> i128 {
    let id = out.items.len() as i64 + 1;
    // Squaring a uniform draw skews towards low ids: a few products are very popular.
    let u = r.unit_f64();
    let p = ((u * u) * prices.len() as f64) as usize;
    let p = p.min(prices.len() - 1);
    let qty = if r.chance(0.8) {
        1
    } else {
        r.range_u64(2, 5) as i64
    };
    let unit = if r.chance(0.1) {
        prices[p] * 9 / 10
    } else {
        prices[p]
    };
    out.items.push(vec![
        Value::Int(id),
        Value::Int(order),
        Value::Int(p as i64 + 1),
        Value::Int(qty),
        num(unit, 2),
    ]);
    unit * qty as i128
}
