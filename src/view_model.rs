//! A pure projection from simulation state to what one frame shows. Coordinates are in a unit
//! square (0..1 on both axes, y down) so drawing only scales them to the canvas; colours come
//! from the Okabe–Ito palette, which stays distinguishable for colour-blind viewers, and every
//! state also has a shape or a label so colour is never the only cue.

pub mod data;
pub mod log;
pub mod migration;
pub mod schema;
pub mod settings;

use crate::sim::metrics::Series;
use crate::sim::net::{Blocked, Latency, Network};
use crate::sim::repl::leader::Role as RaftRole;
use crate::sim::repl::{Mode, StoreKind};
use crate::sim::timeline::Timeline;
use crate::sim::{Command, NodeId, SimTime, Simulation};

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Okabe–Ito colours.
pub mod palette {
    use super::Rgb;
    pub const ORANGE: Rgb = Rgb(0xE6, 0x9F, 0x00);
    pub const SKY: Rgb = Rgb(0x56, 0xB4, 0xE9);
    pub const GREEN: Rgb = Rgb(0x00, 0x9E, 0x73);
    pub const YELLOW: Rgb = Rgb(0xF0, 0xE4, 0x42);
    pub const BLUE: Rgb = Rgb(0x00, 0x72, 0xB2);
    pub const VERMILLION: Rgb = Rgb(0xD5, 0x5E, 0x00);
    pub const PURPLE: Rgb = Rgb(0xCC, 0x79, 0xA7);
    pub const INK: Rgb = Rgb(0x1F, 0x29, 0x37);
    pub const MUTED: Rgb = Rgb(0x6B, 0x72, 0x80);
    pub const LINE: Rgb = Rgb(0xCB, 0xD5, 0xE1);
    pub const PAPER: Rgb = Rgb(0xFF, 0xFF, 0xFF);
    pub const DOWN: Rgb = Rgb(0x9C, 0xA3, 0xAF);
    /// One colour per series, in order.
    pub const SERIES: [Rgb; 7] = [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, INK];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Leader,
    Follower,
    Candidate,
    /// Multi-leader: every node takes writes.
    Peer,
    /// Leaderless replica.
    Replica,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Peer => "leader (multi)",
            Role::Replica => "replica",
        }
    }
}

/// A node's role in the current protocol.
pub fn role_of(sim: &Simulation, id: NodeId) -> Role {
    match (sim.cluster().params.mode, sim.role(id)) {
        (Mode::Leaderless, _) => Role::Replica,
        (Mode::MultiLeader, _) => Role::Peer,
        (_, Some(RaftRole::Leader)) => Role::Leader,
        (_, Some(RaftRole::Candidate)) => Role::Candidate,
        _ => Role::Follower,
    }
}

/// How far behind a node is, in words ("in sync", "lag 120 ms", "3 keys behind").
pub fn lag_text(sim: &Simulation, id: NodeId) -> (f64, String) {
    let c = sim.cluster();
    match c.params.mode {
        Mode::Leaderless => {
            let v = sim
                .metrics()
                .lag
                .get(id as usize)
                .and_then(|s| s.last())
                .unwrap_or(0.0);
            let t = if v == 0.0 {
                "in sync".to_string()
            } else {
                format!("{} behind", plural(v as u64, "key", "keys"))
            };
            (v, t)
        }
        _ => {
            let ms = c.lag_us(id, sim.now()) as f64 / 1e3;
            let t = if ms == 0.0 {
                "in sync".to_string()
            } else {
                format!("lag {ms:.0} ms")
            };
            (ms, t)
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub id: NodeId,
    pub label: String,
    pub role: Role,
    pub up: bool,
    pub x: f64,
    pub y: f64,
    /// Second line under the node: its role and state, or its lag.
    pub detail: String,
    pub fill: Rgb,
    /// How far behind (ms, or keys for leaderless replicas).
    pub lag: f64,
    /// How the node stores its copy: drawn as a square (SQL table) or a circle (documents).
    pub store: StoreKind,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinkView {
    pub a: NodeId,
    pub b: NodeId,
    pub from: (f64, f64),
    pub to: (f64, f64),
    /// Why messages cannot cross, if they cannot: "cut", "one-way cut", "partition".
    pub cut: Option<&'static str>,
    /// Messages on this link now, both directions (shown as a number in reduced motion).
    pub in_flight: usize,
}

/// How the link between `a` and `b` is blocked, as a short label for the drawing.
pub fn cut_label(net: &Network, a: NodeId, b: NodeId) -> Option<&'static str> {
    match (net.blocked(a, b), net.blocked(b, a)) {
        (Some(Blocked::Partitioned), _) | (_, Some(Blocked::Partitioned)) => Some("partition"),
        (Some(_), Some(_)) => Some("cut"),
        (Some(_), None) | (None, Some(_)) => Some("one-way cut"),
        (None, None) => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// Carries data: writes, log entries, repairs, hints, anti-entropy.
    Append,
    /// Control: heartbeats, pings, votes, read requests.
    Heartbeat,
    /// Answers: acknowledgements, values read, replies to clients.
    Ack,
}

fn message_kind(m: &crate::sim::repl::Msg) -> MessageKind {
    use crate::sim::repl::Msg;
    if m.carries_data() {
        return MessageKind::Append;
    }
    match m {
        Msg::Stored { .. }
        | Msg::Fetched { .. }
        | Msg::Done { .. }
        | Msg::AppendReply { .. }
        | Msg::VoteReply { .. }
        | Msg::ReplicateAck { .. }
        | Msg::HandedOff { .. } => MessageKind::Ack,
        _ => MessageKind::Heartbeat,
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MessageView {
    pub x: f64,
    pub y: f64,
    pub kind: MessageKind,
}

impl MessageKind {
    pub fn colour(self) -> Rgb {
        match self {
            MessageKind::Append => palette::BLUE,
            MessageKind::Heartbeat => palette::SKY,
            MessageKind::Ack => palette::ORANGE,
        }
    }
}

/// Everything the topology canvas shows in one frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub nodes: Vec<NodeView>,
    pub links: Vec<LinkView>,
    pub messages: Vec<MessageView>,
    /// Messages beyond the drawing budget, not drawn but counted.
    pub messages_hidden: usize,
    /// The migration's two stores, when one was started.
    pub migration: Option<migration::Lane>,
}

/// At most this many messages are drawn per frame; the rest are counted in the caption.
pub const MESSAGES_DRAWN_MAX: usize = 600;

/// Node positions: the leader on top, followers around a circle.
pub fn node_position(id: NodeId, nodes: u32) -> (f64, f64) {
    if nodes <= 1 {
        return (0.5, 0.5);
    }
    let angle =
        -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * f64::from(id) / f64::from(nodes);
    (0.5 + 0.36 * angle.cos(), 0.52 + 0.36 * angle.sin())
}

pub fn frame(sim: &Simulation) -> Frame {
    let c = sim.cluster();
    let n = c.nodes.len() as u32;
    let now = sim.now();
    let nodes = c
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let id = i as NodeId;
            let (x, y) = node_position(id, n);
            let role = role_of(sim, id);
            let (lag, lag_words) = lag_text(sim, id);
            let detail = match (node.up, role) {
                (false, _) => "crashed".to_string(),
                (true, Role::Leader) => format!("leader · term {}", node.raft.term),
                (true, r) => format!("{} · {lag_words}", r.label()),
            };
            let fill = match (node.up, role) {
                (false, _) => palette::DOWN,
                (true, Role::Leader) => palette::BLUE,
                (true, Role::Candidate) => palette::ORANGE,
                (true, Role::Peer) => palette::PURPLE,
                (true, _) => palette::GREEN,
            };
            NodeView {
                id,
                label: format!("n{id}"),
                role,
                up: node.up,
                x,
                y,
                detail,
                fill,
                lag,
                store: c.params.store,
            }
        })
        .collect();
    let pairs: Vec<(NodeId, NodeId)> = (0..n)
        .flat_map(|a| ((a + 1)..n).map(move |b| (a, b)))
        .collect();
    let mut on_link = vec![0usize; pairs.len()];
    let index = |a: NodeId, b: NodeId| {
        let (a, b) = (a.min(b), a.max(b));
        // Position of (a, b) in the pair list above.
        (a * n - a * (a + 1) / 2 + (b - a - 1)) as usize
    };
    for f in sim.in_flight() {
        if f.from != f.to {
            on_link[index(f.from, f.to)] += 1;
        }
    }
    let links = pairs
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| LinkView {
            a,
            b,
            from: node_position(a, n),
            to: node_position(b, n),
            cut: cut_label(sim.network(), a, b),
            in_flight: on_link[i],
        })
        .collect();
    let total = sim.in_flight_len();
    let messages = sim
        .in_flight()
        .take(MESSAGES_DRAWN_MAX)
        .map(|f| {
            let p = progress(f.sent, f.deliver, now);
            let (ax, ay) = node_position(f.from, n);
            let (bx, by) = node_position(f.to, n);
            MessageView {
                x: ax + (bx - ax) * p,
                y: ay + (by - ay) * p,
                kind: message_kind(&f.msg),
            }
        })
        .collect();
    Frame {
        nodes,
        links,
        messages,
        messages_hidden: total.saturating_sub(MESSAGES_DRAWN_MAX),
        migration: migration::lane(sim),
    }
}

/// A node's radius in pixels on a `w` x `h` canvas whose pixels are `scale` CSS pixels each
/// (the drawing and the hit test use the same size).
pub fn node_radius(w: f64, h: f64, scale: f64) -> f64 {
    (w.min(h) * 0.07).clamp(14.0 * scale, 40.0 * scale)
}

/// What a pointer at (x, y) CSS pixels on a `w` x `h` CSS-pixel canvas is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    Node(NodeId),
    /// A link, with whether it is cut now.
    Link {
        a: NodeId,
        b: NodeId,
        cut: bool,
    },
}

/// Links are easy to hit within this many CSS pixels of their line.
pub const LINK_HIT_PX: f64 = 8.0;

pub fn hit(frame: &Frame, x: f64, y: f64, w: f64, h: f64) -> Option<Hit> {
    let r = node_radius(w, h, 1.0);
    for n in &frame.nodes {
        if (n.x * w - x).hypot(n.y * h - y) <= r {
            return Some(Hit::Node(n.id));
        }
    }
    frame
        .links
        .iter()
        .map(|l| {
            let d = segment_distance(
                (x, y),
                (l.from.0 * w, l.from.1 * h),
                (l.to.0 * w, l.to.1 * h),
            );
            (d, l)
        })
        .filter(|(d, _)| *d <= LINK_HIT_PX)
        .min_by(|p, q| p.0.total_cmp(&q.0))
        .map(|(_, l)| Hit::Link {
            a: l.a,
            b: l.b,
            cut: l.cut.is_some(),
        })
}

/// The partition a drag asks for: node `node` of `nodes` dropped on node `onto` joins that
/// node's side; dropped on empty canvas it becomes a side of its own. `groups` is the
/// partition in force (None: one side). None when nothing would change.
pub fn drop_partition(
    groups: Option<Vec<Vec<NodeId>>>,
    nodes: u32,
    node: NodeId,
    onto: Option<NodeId>,
) -> Option<Command> {
    if node >= nodes || onto.is_some_and(|o| o >= nodes || o == node) {
        return None;
    }
    let before = groups.unwrap_or_else(|| vec![(0..nodes).collect()]);
    let mut after: Vec<Vec<NodeId>> = before
        .iter()
        .map(|g| g.iter().copied().filter(|&n| n != node).collect())
        .collect();
    match onto.and_then(|o| after.iter().position(|g| g.contains(&o))) {
        Some(i) => after[i].push(node),
        None => after.push(vec![node]),
    }
    after.retain(|g| !g.is_empty());
    for g in &mut after {
        crate::sim::sort::sort(g);
    }
    crate::sim::sort::sort(&mut after);
    match after.len() {
        _ if after == before => None,
        1 => Some(Command::HealPartition),
        _ => Some(Command::Partition { groups: after }),
    }
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    };
    (a.0 + t * dx - p.0).hypot(a.1 + t * dy - p.1)
}

/// Share of the trip done at `now`, in 0..=1.
pub fn progress(sent: SimTime, deliver: SimTime, now: SimTime) -> f64 {
    let total = deliver.since(sent).as_us();
    if total == 0 {
        return 1.0;
    }
    (now.since(sent).as_us() as f64 / total as f64).clamp(0.0, 1.0)
}

#[derive(Clone, Debug, PartialEq)]
pub struct SeriesView {
    pub name: String,
    pub colour: Rgb,
    /// Runs of (seconds, value) points. A series has no value while nothing happens (no commit,
    /// no latency), and a line drawn across such a gap would invent a trend, so it is split.
    pub segments: Vec<Vec<(f64, f64)>>,
}

impl SeriesView {
    pub fn points(&self) -> impl Iterator<Item = &(f64, f64)> + '_ {
        self.segments.iter().flatten()
    }
}

/// Split points into runs wherever two neighbours are more than `gap_s` apart.
pub fn split_at_gaps(points: impl Iterator<Item = (f64, f64)>, gap_s: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    for p in points {
        match out.last_mut() {
            Some(run) if run.last().is_some_and(|q| p.0 - q.0 <= gap_s) => run.push(p),
            _ => out.push(vec![p]),
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChartView {
    pub title: String,
    pub unit: String,
    pub series: Vec<SeriesView>,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    /// What the chart says while it has no points.
    pub empty_note: &'static str,
}

/// The charts show the last this many simulated seconds.
pub const CHART_WINDOW_S: f64 = 30.0;

fn chart(title: &str, unit: &str, series: &[&Series], now: SimTime, gap_s: f64) -> ChartView {
    let x_hi = now.as_secs_f64().max(CHART_WINDOW_S);
    let x_lo = x_hi - CHART_WINDOW_S;
    let series: Vec<SeriesView> = series
        .iter()
        .enumerate()
        .map(|(i, s)| SeriesView {
            name: s.name.clone(),
            colour: palette::SERIES[i % palette::SERIES.len()],
            segments: split_at_gaps(
                s.points()
                    .map(|(t, v)| (t.as_secs_f64(), *v))
                    .filter(|(t, _)| *t >= x_lo),
                gap_s,
            ),
        })
        .collect();
    let y_max = series
        .iter()
        .flat_map(|s| s.points().map(|p| p.1))
        .fold(0.0f64, f64::max);
    ChartView {
        title: title.into(),
        unit: unit.into(),
        series,
        x_range: (x_lo, x_hi),
        y_range: (0.0, nice_ceiling(y_max)),
        empty_note: "waiting for data…",
    }
}

/// A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least 1.
pub fn nice_ceiling(v: f64) -> f64 {
    if !v.is_finite() || v <= 1.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if v <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

/// How many charts the page shows.
pub const CHART_COUNT: usize = 8;

/// The charts under the topology.
pub fn charts(sim: &Simulation) -> Vec<ChartView> {
    let m = sim.metrics();
    let now = sim.now();
    let lag: Vec<&Series> = m.lag.iter().collect();
    let lag_unit = match sim.cluster().params.mode {
        Mode::Leaderless => "keys behind",
        _ => "ms",
    };
    let gap_s = 2.5 * sim.scenario().sample_interval_ms as f64 / 1e3;
    let mut a = chart(
        "Availability",
        "% of operations",
        &[&m.availability_pct],
        now,
        gap_s,
    );
    a.y_range = (0.0, 100.0);
    vec![
        chart("Throughput", "ok ops/s", &[&m.ok_per_s], now, gap_s),
        chart(
            "Latency",
            "ms",
            &[&m.latency_p50_ms, &m.latency_p95_ms, &m.latency_p99_ms],
            now,
            gap_s,
        ),
        a,
        chart("Replication lag per node", lag_unit, &lag, now, gap_s),
        chart(
            "Stale reads",
            "% of reads",
            &[&m.stale_read_pct],
            now,
            gap_s,
        ),
        chart(
            "Conflicts, lost updates, divergence",
            "count",
            &[&m.conflicts_per_s, &m.lost_updates, &m.divergent_keys],
            now,
            gap_s,
        ),
        migration_chart(
            sim,
            ("Migration progress", "% of records"),
            &[&m.migration_copied_pct, &m.migration_failed_pct],
            gap_s,
        ),
        migration_chart(
            sim,
            ("Cache hit ratio", "% of reads"),
            &[&m.cache_hit_pct],
            gap_s,
        ),
    ]
}

/// A chart of the migration's series (records copied and failed, the cache's hit ratio), in
/// percent. The window runs from the migration's start (at least 30 s wide) so the whole
/// copy stays in view.
fn migration_chart(
    sim: &Simulation,
    (title, unit): (&str, &str),
    series: &[&Series],
    gap_s: f64,
) -> ChartView {
    let mut c = chart(title, unit, series, sim.now(), gap_s);
    c.empty_note = match sim.migration() {
        None => "no migration yet: start one in the Migration tab",
        Some(_) if title.starts_with("Cache") => "no cache: choose one in the Migration tab",
        Some(_) => c.empty_note,
    };
    if let Some(run) = sim.migration() {
        let start = run.started_at().as_secs_f64();
        let hi = sim.now().as_secs_f64().max(start + CHART_WINDOW_S);
        for (view, s) in c.series.iter_mut().zip(series.iter()) {
            let points = s.points().map(|(t, v)| (t.as_secs_f64(), *v));
            view.segments = split_at_gaps(points.filter(|p| p.0 >= start), gap_s);
        }
        c.x_range = (start, hi);
    }
    c.y_range = (0.0, 100.0);
    c
}

/// `1 entry`, `3 entries`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Key figures for the status bar, as (label, value).
pub fn figures(sim: &Simulation) -> Vec<(&'static str, String)> {
    let c = &sim.cluster().counters;
    let done = c.ops_ok + c.ops_failed + c.ops_unknown;
    let avail = if done == 0 {
        "–".to_string()
    } else {
        format!("{:.1}%", 100.0 * c.ops_ok as f64 / done as f64)
    };
    let stale = if c.reads_ok == 0 {
        "–".to_string()
    } else {
        format!("{:.1}%", 100.0 * c.stale_reads as f64 / c.reads_ok as f64)
    };
    let divergent = sim.metrics().divergent_keys.last().unwrap_or(0.0);
    vec![
        ("operations ok", c.ops_ok.to_string()),
        ("availability", avail),
        ("stale reads", stale),
        ("conflicts", c.conflicts.to_string()),
        ("lost updates", c.lost_updates.to_string()),
        ("keys in disagreement", format!("{divergent:.0}")),
        ("events", sim.events_processed().to_string()),
    ]
}

/// One node's row in the fault panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeStatus {
    pub id: NodeId,
    pub label: String,
    pub up: bool,
    /// Every link from this node is blocked.
    pub isolated: bool,
    /// Role and lag, in words.
    pub state: String,
    /// Share of the operations of clients on this node that succeeded in the last sample,
    /// in words ("–" before any).
    pub availability: String,
}

/// The last sampled availability for clients talking to node `id`.
pub fn node_availability(sim: &Simulation, id: NodeId) -> String {
    sim.metrics()
        .availability_by_node_pct
        .get(id as usize)
        .and_then(|s| s.last())
        .map_or_else(|| "–".to_string(), |v| format!("{v:.0}% ok"))
}

/// One event-log line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub at: SimTime,
    pub time: String,
    pub kind: &'static str,
    pub text: String,
}

/// What the panels (not the canvases) show. Rebuilt a few times a second; when nothing in it
/// changed, the page does not re-render.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub time_label: String,
    pub now: SimTime,
    /// The latest time this run has reached (the end of the timeline).
    pub horizon: SimTime,
    pub figures: Vec<(&'static str, String)>,
    pub nodes: Vec<NodeStatus>,
    /// Newest first, each kind bounded ([`log::log_lines`]).
    pub log: Vec<LogLine>,
    pub ops_per_s: u32,
    /// The replication setting in words.
    pub replication: String,
    pub loss: f64,
    pub latency: Latency,
    /// Whether a partition is in force.
    pub partitioned: bool,
    /// Every link (a < b) and how it is blocked, if it is ("cut", "one-way cut", "partition").
    pub links: Vec<(NodeId, NodeId, Option<&'static str>)>,
    pub seed: u64,
    /// The migration job, once one was started.
    pub migration: Option<migration::MigrationView>,
    /// Every setting the Settings panel shows, as in force now.
    pub settings: settings::Settings,
    /// The running migration's sides, for the Schema view's "who is at which version".
    pub schema_run: Option<schema::versions::RunSides>,
    /// The Data panel: every node's keys as rows and documents, and the migration's records
    /// (empty unless asked for, see [`status_with`]).
    pub data: std::rc::Rc<data::DataView>,
}

/// [`status_with`] without the Data panel's view (left empty): the page builds that only
/// while the panel is shown.
pub fn status(run: &Timeline) -> Status {
    status_with(run, false)
}

/// What the panels show of `run`; with `data`, also the Data panel's view, which reads every
/// node's store and the migration's records.
pub fn status_with(run: &Timeline, data: bool) -> Status {
    let sim = run.sim();
    let c = sim.cluster();
    let n_nodes = c.nodes.len() as NodeId;
    let nodes = c
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let id = i as NodeId;
            let isolated = n_nodes > 1
                && (0..n_nodes)
                    .filter(|&p| p != id)
                    .all(|p| sim.network().blocked(id, p).is_some());
            let role = role_of(sim, id);
            NodeStatus {
                id,
                label: format!("n{id}"),
                up: n.up,
                isolated,
                state: match n.up {
                    false => "crashed".into(),
                    true => format!("{} · {}", role.label(), lag_text(sim, id).1),
                },
                availability: node_availability(sim, id),
            }
        })
        .collect();
    let log = log::log_lines(sim);
    Status {
        time_label: sim.now().to_string(),
        now: sim.now(),
        horizon: run.horizon(),
        figures: figures(sim),
        nodes,
        log,
        ops_per_s: sim.ops_per_s(),
        replication: c.params.describe(),
        loss: sim.network().params.loss,
        latency: sim.network().params.latency.clone(),
        partitioned: sim.network().partition_groups().is_some(),
        links: (0..n_nodes)
            .flat_map(|a| ((a + 1)..n_nodes).map(move |b| (a, b)))
            .map(|(a, b)| (a, b, cut_label(sim.network(), a, b)))
            .collect(),
        seed: sim.scenario().seed,
        migration: migration::migration_view(sim),
        settings: settings::Settings::of(sim),
        schema_run: schema::versions::run_sides(sim),
        data: std::rc::Rc::new(if data {
            data::data_view(sim)
        } else {
            data::DataView::default()
        }),
    }
}

/// One line of the fork comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareRow {
    pub label: &'static str,
    pub a: String,
    pub b: String,
    pub differs: bool,
}

/// Side by side figures of the original (A) and the fork (B).
pub fn compare(a: &Status, b: &Status) -> Vec<CompareRow> {
    let mut rows: Vec<CompareRow> = a
        .figures
        .iter()
        .zip(&b.figures)
        .map(|((label, va), (_, vb))| CompareRow {
            label,
            a: va.clone(),
            b: vb.clone(),
            differs: va != vb,
        })
        .collect();
    let nodes_down = |s: &Status| s.nodes.iter().filter(|n| !n.up).count().to_string();
    let cut = |s: &Status| s.nodes.iter().filter(|n| n.isolated).count().to_string();
    let mig = |s: &Status| {
        s.migration.as_ref().map_or("–".to_string(), |m| {
            format!("{} · {:.0}%", m.phase_label, m.total.share * 100.0)
        })
    };
    for (label, fa, fb) in [
        ("nodes down", nodes_down(a), nodes_down(b)),
        ("nodes cut off", cut(a), cut(b)),
        ("migration", mig(a), mig(b)),
    ] {
        rows.push(CompareRow {
            label,
            differs: fa != fb,
            a: fa,
            b: fb,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Command, Scenario};

    #[test]
    fn frame_places_nodes_and_interpolates_messages() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        sim.advance_to(SimTime::from_ms(1_003), u64::MAX);
        let f = frame(&sim);
        assert_eq!(f.nodes.len(), 5);
        assert_eq!(f.links.len(), 10, "every pair of nodes");
        assert_eq!(f.nodes[0].role, Role::Replica);
        assert!(f.nodes[0].y < f.nodes[1].y, "node 0 on top");
        assert!(!f.messages.is_empty(), "messages in flight at 1 s");
        let counted: usize = f.links.iter().map(|l| l.in_flight).sum();
        assert_eq!(counted, f.messages.len() + f.messages_hidden);
        for m in &f.messages {
            assert!((0.0..=1.0).contains(&m.x) && (0.0..=1.0).contains(&m.y));
        }
    }

    #[test]
    fn availability_per_node_drops_on_the_minority_side_under_cp_only() {
        use crate::sim::repl::PartitionMode;
        let pct = |s: &str| s.trim_end_matches("% ok").parse::<f64>().unwrap();
        let mut minority_pct = Vec::new();
        for mode in [PartitionMode::Cp, PartitionMode::Ap] {
            let mut sc = Scenario::default();
            sc.replication.partition_mode = mode;
            let mut run = Timeline::new(sc).unwrap();
            run.advance_to(SimTime::from_ms(2_000), u64::MAX);
            let before = status(&run);
            assert!(before.nodes.iter().all(|n| pct(&n.availability) > 90.0));
            run.command(Command::Partition {
                groups: vec![vec![0]],
            })
            .unwrap();
            run.advance_to(SimTime::from_ms(8_000), u64::MAX);
            let st = status(&run);
            minority_pct.push(pct(&st.nodes[0].availability));
            for n in &st.nodes[1..] {
                assert!(pct(&n.availability) > 90.0, "{mode:?}: {n:?}");
            }
        }
        // CP refuses on the cut-off node; AP serves much of it from what that node holds.
        let [cp, ap] = minority_pct[..] else { panic!() };
        assert!(cp < 10.0, "CP minority {cp}");
        assert!(ap > cp + 30.0, "AP minority {ap}, CP {cp}");
    }

    #[test]
    fn dragging_a_node_onto_another_or_away_regroups_the_partition() {
        let p = |g: &[&[NodeId]]| Some(g.iter().map(|x| x.to_vec()).collect::<Vec<_>>());
        // Away from the ring: a side of its own.
        assert_eq!(
            drop_partition(None, 5, 2, None),
            Some(Command::Partition {
                groups: vec![vec![0, 1, 3, 4], vec![2]]
            })
        );
        // Onto a node on its own side, with no partition: nothing changes.
        assert_eq!(drop_partition(None, 5, 2, Some(3)), None);
        // n3 joins n2 across the partition.
        assert_eq!(
            drop_partition(p(&[&[0, 1, 3, 4], &[2]]), 5, 3, Some(2)),
            Some(Command::Partition {
                groups: vec![vec![0, 1, 4], vec![2, 3]]
            })
        );
        // The last node of a side goes back: one side left, the partition heals.
        assert_eq!(
            drop_partition(p(&[&[0, 1, 3, 4], &[2]]), 5, 2, Some(0)),
            Some(Command::HealPartition)
        );
        // Nonsense is ignored, never a panic.
        assert_eq!(drop_partition(None, 5, 9, None), None);
        assert_eq!(drop_partition(None, 5, 1, Some(1)), None);
        assert_eq!(drop_partition(None, 1, 0, None), None);
        // The command is one the engine takes, and the page's partition reads back the same.
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        let c = drop_partition(None, 5, 4, None).unwrap();
        sim.command(c).unwrap();
        assert_eq!(
            sim.network().partition_groups(),
            Some(vec![vec![0, 1, 2, 3], vec![4]])
        );
    }

    #[test]
    fn crashed_and_cut_are_shown_by_label_not_only_colour() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        sim.command(Command::Crash { node: 2 }).unwrap();
        sim.command(Command::CutLink { a: 0, b: 3 }).unwrap();
        sim.advance_to(SimTime::from_ms(2_000), u64::MAX);
        let f = frame(&sim);
        assert_eq!(f.nodes[2].detail, "crashed");
        assert_eq!(f.nodes[2].fill, palette::DOWN);
        assert!(f.links.iter().any(|l| l.b == 3 && l.cut == Some("cut")));
        sim.command(Command::CutOneWay { from: 1, to: 0 }).unwrap();
        sim.command(Command::Partition {
            groups: vec![vec![0, 4]],
        })
        .unwrap();
        let f = frame(&sim);
        assert_eq!(
            f.links[0].cut,
            Some("partition"),
            "n0–n1 crosses the partition"
        );
        assert_eq!(f.links[3].cut, None, "n0–n4 are on one side");
        sim.command(Command::HealPartition).unwrap();
        assert_eq!(frame(&sim).links[0].cut, Some("one-way cut"));
        assert!(
            f.nodes[3].detail.starts_with("replica · "),
            "{}",
            f.nodes[3].detail
        );
    }

    #[test]
    fn series_split_where_samples_are_missing() {
        let pts = [(0.0, 1.0), (0.25, 2.0), (0.5, 3.0), (5.0, 9.0), (5.25, 8.0)];
        let runs = split_at_gaps(pts.into_iter(), 0.625);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].len(), 3);
        assert_eq!(runs[1], vec![(5.0, 9.0), (5.25, 8.0)]);
        assert!(split_at_gaps(std::iter::empty(), 1.0).is_empty());
        assert_eq!(plural(1, "entry", "entries"), "1 entry");
        assert_eq!(plural(0, "entry", "entries"), "0 entries");
    }

    #[test]
    fn a_fork_that_crashes_the_leader_differs_from_the_original() {
        let mut a = Timeline::new(Scenario::default()).unwrap();
        a.advance_to(SimTime::from_ms(2_000), u64::MAX);
        let mut b = a.clone();
        b.command(Command::Crash { node: 0 }).unwrap();
        a.advance_to(SimTime::from_ms(5_000), u64::MAX);
        b.advance_to(SimTime::from_ms(5_000), u64::MAX);
        let rows = compare(&status(&a), &status(&b));
        let row = |l: &str| rows.iter().find(|r| r.label == l).unwrap().clone();
        assert!(row("operations ok").differs);
        assert_eq!(row("nodes down").b, "1");
        assert!(!row("nodes cut off").differs);
    }

    #[test]
    fn hit_finds_nodes_then_links() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        sim.command(Command::CutLink { a: 0, b: 2 }).unwrap();
        let f = frame(&sim);
        let (w, h) = (800.0, 400.0);
        let n3 = &f.nodes[3];
        assert_eq!(
            hit(&f, n3.x * w + 5.0, n3.y * h - 5.0, w, h),
            Some(Hit::Node(3))
        );
        let l = &f.links[1]; // n0–n2
        let mid = ((l.from.0 + l.to.0) / 2.0 * w, (l.from.1 + l.to.1) / 2.0 * h);
        assert_eq!(
            hit(&f, mid.0 + 3.0, mid.1, w, h),
            Some(Hit::Link {
                a: 0,
                b: 2,
                cut: true
            })
        );
        assert_eq!(hit(&f, 2.0, 2.0, w, h), None);
        assert_eq!(segment_distance((0.0, 5.0), (0.0, 0.0), (0.0, 0.0)), 5.0);
    }

    #[test]
    fn progress_is_clamped() {
        assert_eq!(progress(SimTime(10), SimTime(20), SimTime(15)), 0.5);
        assert_eq!(progress(SimTime(10), SimTime(20), SimTime(99)), 1.0);
        assert_eq!(progress(SimTime(10), SimTime(10), SimTime(10)), 1.0);
    }

    #[test]
    fn charts_cover_a_window_with_round_axes() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        sim.advance_to(SimTime::from_ms(40_000), u64::MAX);
        let cs = charts(&sim);
        assert_eq!(cs.len(), CHART_COUNT);
        assert_eq!(cs[3].series.len(), 5, "lag: one series per node");
        // Without a migration its charts say where to start one.
        assert!(cs[6].empty_note.contains("Migration tab"));
        assert!(cs[7].empty_note.contains("Migration tab"));
        assert_eq!(cs[0].x_range, (10.0, 40.0));
        assert!(cs[0].series[0].points().all(|p| p.0 >= 10.0));
        assert_eq!(
            cs[0].series[0].segments.len(),
            1,
            "no gaps while writes flow"
        );
        assert!(cs[0].y_range.1 >= 20.0);
        assert_eq!(nice_ceiling(0.3), 1.0);
        assert_eq!(nice_ceiling(37.0), 50.0);
        assert_eq!(nice_ceiling(200.0), 200.0);
    }

    #[test]
    fn status_lists_nodes_links_and_newest_log_first() {
        let mut sim = Timeline::new(Scenario::default()).unwrap();
        sim.command(Command::Partition {
            groups: vec![vec![1]],
        })
        .unwrap();
        sim.advance_to(SimTime::from_ms(500), u64::MAX);
        sim.command(Command::Crash { node: 2 }).unwrap();
        let st = status(&sim);
        assert!(!st.nodes[0].isolated);
        assert!(st.nodes[1].isolated);
        assert!(!st.nodes[2].up);
        // Writes are listed too (the page hides them unless asked).
        let log: Vec<_> = st.log.iter().filter(|l| l.kind != "write").collect();
        assert!(st.log.iter().any(|l| l.kind == "write"));
        assert_eq!(log[0].text, "node n2 crashed");
        assert_eq!(log[1].text, "partition: {n1} | the rest");
        assert_eq!(st.time_label, "0.500000 s");
        assert_eq!(log[0].at, SimTime::from_ms(500));
        sim.seek(SimTime::from_ms(100));
        let st = status(&sim);
        assert_eq!(
            (st.now, st.horizon),
            (SimTime::from_ms(100), SimTime::from_ms(500))
        );
        assert_eq!(st.seed, 1);
    }
}
