//! The topology canvas: nodes, links (a cut link is dashed and marked), and every message in
//! flight at its interpolated position. Message kinds differ by shape as well as colour.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::sim::repl::StoreKind;
use crate::view_model::migration::Lane;
use crate::view_model::{node_radius, palette, Frame, MessageKind, Rgb, Role};

pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

pub fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// A text style: `px` is in CSS pixels, `scale` the device pixel ratio.
pub fn font(px: f64, scale: f64, c: Rgb, h: HPos, v: VPos) -> TextStyle<'static> {
    ("sans-serif", px * scale)
        .into_font()
        .color(&rgb(c))
        .pos(Pos::new(h, v))
}

/// Draw `frame` to the whole of `area`. `scale` is the device pixel ratio, so strokes and text
/// keep their CSS size on HiDPI screens. With `reduced_motion`, messages are not drawn moving
/// along the links; each link shows how many are on it instead.
pub fn draw_topology<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    frame: &Frame,
    scale: f64,
    reduced_motion: bool,
) -> DrawResult<DB> {
    area.fill(&rgb(palette::PAPER))?;
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (f64::from(w), f64::from(h));
    let px = |x: f64, y: f64| -> (i32, i32) { ((x * w) as i32, (y * h) as i32) };
    let s = scale;
    let radius = node_radius(w, h, s);

    for l in &frame.links {
        let a = px(l.from.0, l.from.1);
        let b = px(l.to.0, l.to.1);
        if let Some(label) = l.cut {
            let style = rgb(palette::VERMILLION).stroke_width((2.0 * s) as u32);
            area.draw(&DashedPathElement::new(
                vec![a, b],
                (6.0 * s) as i32,
                (6.0 * s) as i32,
                style,
            ))?;
            let mid = ((a.0 + b.0) / 2, (a.1 + b.1) / 2);
            area.draw(&Cross::new(
                mid,
                (7.0 * s) as i32,
                style.stroke_width((3.0 * s) as u32),
            ))?;
            area.draw(&Text::new(
                label,
                (mid.0, mid.1 + (10.0 * s) as i32),
                font(11.0, s, palette::VERMILLION, HPos::Center, VPos::Top),
            ))?;
        } else {
            let style = rgb(palette::LINE).stroke_width((2.0 * s) as u32);
            area.draw(&PathElement::new(vec![a, b], style))?;
        }
    }

    let m = (4.0 * s) as i32;
    if reduced_motion {
        for l in frame.links.iter().filter(|l| l.in_flight > 0) {
            let mid = px((l.from.0 + l.to.0) / 2.0, (l.from.1 + l.to.1) / 2.0);
            area.draw(&Text::new(
                format!("{} in flight", l.in_flight),
                (mid.0 + (8.0 * s) as i32, mid.1),
                font(11.0, s, palette::MUTED, HPos::Left, VPos::Center),
            ))?;
        }
    }
    for msg in frame.messages.iter().filter(|_| !reduced_motion) {
        let c = px(msg.x, msg.y);
        let colour = rgb(msg.kind.colour());
        match msg.kind {
            MessageKind::Append => area.draw(&Circle::new(c, m, colour.filled()))?,
            MessageKind::Heartbeat => {
                area.draw(&Circle::new(c, m, colour.stroke_width((1.5 * s) as u32)))?
            }
            MessageKind::Ack => area.draw(&Rectangle::new(
                [(c.0 - m, c.1 - m), (c.0 + m, c.1 + m)],
                colour.filled(),
            ))?,
        }
    }

    for n in &frame.nodes {
        let c = px(n.x, n.y);
        let r = radius as i32;
        let ring = if n.up { palette::INK } else { palette::MUTED };
        let ring_w = if n.role == Role::Leader { 3.0 } else { 1.5 };
        node_shape(area, c, r, n.store, rgb(n.fill).filled())?;
        node_shape(
            area,
            c,
            r,
            n.store,
            rgb(ring).stroke_width((ring_w * s) as u32),
        )?;
        area.draw(&Text::new(
            store_glyph(n.store),
            (c.0, c.1 - (r as f64 * 0.45) as i32),
            font(10.0, s, palette::PAPER, HPos::Center, VPos::Center),
        ))?;
        if !n.up {
            let x = (radius * 0.6) as i32;
            area.draw(&Cross::new(
                c,
                x,
                rgb(palette::INK).stroke_width((2.0 * s) as u32),
            ))?;
        }
        area.draw(&Text::new(
            n.label.clone(),
            c,
            font(14.0, s, palette::PAPER, HPos::Center, VPos::Center),
        ))?;
        area.draw(&Text::new(
            n.detail.clone(),
            (c.0, c.1 + r + (6.0 * s) as i32),
            font(12.0, s, palette::INK, HPos::Center, VPos::Top),
        ))?;
    }

    if let Some(lane) = &frame.migration {
        draw_lane(area, lane, s, reduced_motion)?;
    }
    draw_legend(area, frame, s)
}

/// The migration's two stores in the top-left corner, the source above the target, records
/// moving down between them, and which one the application uses.
fn draw_lane<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lane: &Lane,
    s: f64,
    reduced_motion: bool,
) -> DrawResult<DB> {
    let px = |v: f64| (v * s) as i32;
    let (x0, w, h) = (px(10.0), px(200.0), px(34.0));
    let (top_a, top_b) = (px(8.0), px(100.0));
    let colour = |label: &str| match label.split(' ').next() {
        Some("blue") => palette::BLUE,
        Some("green") => palette::GREEN,
        _ => palette::INK,
    };
    let boxes = [
        (
            top_a,
            &lane.source,
            lane.source_state.to_string(),
            !lane.app_on_target,
        ),
        (
            top_b,
            &lane.target,
            lane.target_state.clone(),
            lane.app_on_target,
        ),
    ];
    for (y, label, state, app) in boxes {
        let c = rgb(colour(label));
        area.draw(&Rectangle::new(
            [(x0, y), (x0 + w, y + h)],
            rgb(palette::PAPER).filled(),
        ))?;
        let width = if app { 3.0 } else { 1.5 };
        area.draw(&Rectangle::new(
            [(x0, y), (x0 + w, y + h)],
            c.stroke_width((width * s) as u32),
        ))?;
        area.draw(&Text::new(
            label.clone(),
            (x0 + px(8.0), y + px(4.0)),
            font(12.0, s, colour(label), HPos::Left, VPos::Top),
        ))?;
        area.draw(&Text::new(
            state,
            (x0 + px(8.0), y + px(19.0)),
            font(11.0, s, palette::MUTED, HPos::Left, VPos::Top),
        ))?;
        if app {
            area.draw(&Text::new(
                "◀ application",
                (x0 + w + px(6.0), y + h / 2),
                font(11.0, s, palette::INK, HPos::Left, VPos::Center),
            ))?;
        }
    }
    let x = x0 + px(24.0);
    let (a, b) = (top_a + h, top_b);
    area.draw(&PathElement::new(
        vec![(x, a), (x, b)],
        rgb(palette::LINE).stroke_width((2.0 * s) as u32),
    ))?;
    area.draw(&Polygon::new(
        vec![
            (x - px(5.0), b - px(7.0)),
            (x + px(5.0), b - px(7.0)),
            (x, b),
        ],
        rgb(palette::MUTED).filled(),
    ))?;
    if reduced_motion && !lane.dots.is_empty() {
        area.draw(&Text::new(
            "copying",
            (x + px(10.0), (a + b) / 2),
            font(11.0, s, palette::MUTED, HPos::Left, VPos::Center),
        ))?;
    }
    for &f in lane.dots.iter().filter(|_| !reduced_motion) {
        let y = a + ((b - a) as f64 * f) as i32;
        area.draw(&Circle::new(
            (x, y),
            px(3.5),
            rgb(MessageKind::Append.colour()).filled(),
        ))?;
    }
    Ok(())
}

/// A node's outline: a square for a SQL table, a circle for a document collection (the
/// shape tells them apart without colour).
fn node_shape<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: (i32, i32),
    r: i32,
    store: StoreKind,
    style: ShapeStyle,
) -> DrawResult<DB> {
    match store {
        StoreKind::Sql => {
            let h = (f64::from(r) * 0.88) as i32;
            area.draw(&Rectangle::new(
                [(c.0 - h, c.1 - h), (c.0 + h, c.1 + h)],
                style,
            ))
        }
        StoreKind::Document => area.draw(&Circle::new(c, r, style)),
    }
}

fn store_glyph(store: StoreKind) -> &'static str {
    match store {
        StoreKind::Sql => "SQL",
        StoreKind::Document => "{ }",
    }
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    frame: &Frame,
    s: f64,
) -> DrawResult<DB> {
    let (_, h) = area.dim_in_pixel();
    let y = h as i32 - (14.0 * s) as i32;
    let mut x = (12.0 * s) as i32;
    let m = (4.0 * s) as i32;
    let items = [
        (MessageKind::Append, "data"),
        (MessageKind::Heartbeat, "control"),
        (MessageKind::Ack, "answer"),
    ];
    for (kind, label) in items {
        let c = rgb(kind.colour());
        match kind {
            MessageKind::Append => area.draw(&Circle::new((x, y), m, c.filled()))?,
            MessageKind::Heartbeat => {
                area.draw(&Circle::new((x, y), m, c.stroke_width((1.5 * s) as u32)))?
            }
            MessageKind::Ack => area.draw(&Rectangle::new(
                [(x - m, y - m), (x + m, y + m)],
                c.filled(),
            ))?,
        }
        area.draw(&Text::new(
            label,
            (x + (9.0 * s) as i32, y),
            font(12.0, s, palette::MUTED, HPos::Left, VPos::Center),
        ))?;
        x += ((label.len() as f64 * 7.0 + 34.0) * s) as i32;
    }
    if let Some(n) = frame.nodes.first() {
        let label = match n.store {
            StoreKind::Sql => "square: SQL table",
            StoreKind::Document => "circle: document collection",
        };
        area.draw(&Text::new(
            label,
            (x, y),
            font(12.0, s, palette::MUTED, HPos::Left, VPos::Center),
        ))?;
        x += ((label.len() as f64 * 6.5 + 24.0) * s) as i32;
    }
    let total = frame.messages.len() + frame.messages_hidden;
    let caption = if frame.messages_hidden > 0 {
        format!(
            "{total} messages in flight ({} drawn)",
            frame.messages.len()
        )
    } else {
        format!("{total} messages in flight")
    };
    area.draw(&Text::new(
        caption,
        (x, y),
        font(12.0, s, palette::MUTED, HPos::Left, VPos::Center),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Command, Scenario, SimTime, Simulation};
    use crate::view_model::frame;

    fn svg_of(f: &Frame, scale: f64, reduced_motion: bool) -> String {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
            draw_topology(&area, f, scale, reduced_motion).unwrap();
            area.present().unwrap();
        }
        svg
    }

    #[test]
    fn renders_nodes_messages_and_cut_links_to_svg() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        sim.command(Command::CutLink { a: 0, b: 2 }).unwrap();
        sim.command(Command::Crash { node: 4 }).unwrap();
        sim.advance_to(SimTime::from_ms(1_500), u64::MAX);
        let f = frame(&sim);
        let svg = svg_of(&f, 2.0, false);
        for n in 0..5 {
            assert!(
                svg.contains(&format!("n{n}\n</text>")),
                "label n{n} missing: {}",
                &svg[..svg.len().min(3000)]
            );
        }
        assert!(svg.contains("crashed"));
        assert!(svg.contains("cut\n</text>"));
        assert!(svg.contains("messages in flight"));
        // SQL stores are squares with their glyph; data messages are dots.
        assert!(svg.matches("<rect").count() >= 5 * 2, "node squares");
        assert!(svg.contains("SQL\n</text>") && svg.contains("square: SQL table"));
        assert!(svg.matches("<circle").count() >= f.messages.len() / 2);
        // Document stores are circles.
        let mut sc = Scenario::default();
        sc.replication.store = StoreKind::Document;
        let sim = Simulation::new(sc).unwrap();
        let svg = svg_of(&frame(&sim), 1.0, false);
        assert!(svg.matches("<circle").count() >= 5 * 2, "node circles");
        assert!(svg.contains("{ }\n</text>") && svg.contains("circle: document collection"));
    }

    #[test]
    fn a_migration_draws_its_two_stores_and_where_the_application_is() {
        use crate::view_model::migration::MigrationForm;
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        assert!(frame(&sim).migration.is_none());
        let spec = Box::new(MigrationForm::default().to_spec().unwrap());
        sim.command(Command::StartMigration { spec }).unwrap();
        sim.advance_to(SimTime::from_ms(1_500), u64::MAX);
        let f = frame(&sim);
        let lane = f.migration.as_ref().expect("a lane");
        assert_eq!(lane.source, "blue · SQL tables");
        assert_eq!(lane.target, "green · documents");
        assert!(!lane.app_on_target);
        let svg = svg_of(&f, 1.0, false);
        assert!(svg.contains("blue · SQL tables") && svg.contains("green · documents"));
        assert!(svg.contains("◀ application"));
        sim.advance_to(SimTime::from_ms(60_000), u64::MAX);
        let lane = frame(&sim).migration.unwrap();
        assert!(lane.app_on_target, "{lane:?}");
        assert_eq!(lane.source_state, "retired");
        assert_eq!(lane.target_state, "serving");
        assert!(lane.dots.is_empty());
    }

    #[test]
    fn reduced_motion_counts_messages_instead_of_moving_them() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        sim.advance_to(SimTime::from_ms(1_003), u64::MAX);
        let f = frame(&sim);
        let svg = svg_of(&f, 1.0, true);
        assert!(svg.contains("in flight\n</text>"));
        assert!(
            svg.matches("<circle").count() < 5 * 2 + 4,
            "no message dots"
        );
    }
}
