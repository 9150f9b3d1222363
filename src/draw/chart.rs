//! Line charts from the view model's `ChartView`: a title, axes with units, one line per series
//! and a legend. The page redraws these a few times a second, not every frame.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::topology::{font, rgb, DrawResult};
use crate::view_model::{palette, ChartView};

pub fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &ChartView,
    scale: f64,
) -> DrawResult<DB> {
    let s = scale;
    area.fill(&rgb(palette::PAPER))?;
    let title = format!("{} ({})", chart.title, chart.unit);
    let mut c = ChartBuilder::on(area)
        .caption(
            title,
            ("sans-serif", 13.0 * s)
                .into_font()
                .color(&rgb(palette::INK)),
        )
        .margin((8.0 * s) as u32)
        .x_label_area_size((22.0 * s) as u32)
        .y_label_area_size((40.0 * s) as u32)
        .build_cartesian_2d(
            chart.x_range.0..chart.x_range.1,
            chart.y_range.0..chart.y_range.1,
        )?;
    let label = ("sans-serif", 11.0 * s)
        .into_font()
        .color(&rgb(palette::MUTED));
    c.configure_mesh()
        .light_line_style(rgb(palette::LINE).mix(0.35))
        .bold_line_style(rgb(palette::LINE).mix(0.8))
        .axis_style(rgb(palette::MUTED))
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|v| format!("{v:.0}s"))
        .y_label_formatter(&|v| compact(*v))
        .label_style(label)
        .draw()?;
    for sv in &chart.series {
        let colour = rgb(sv.colour);
        let line = colour.stroke_width((2.0 * s) as u32);
        for run in sv.segments.iter().skip(1) {
            c.draw_series(LineSeries::new(run.iter().copied(), line))?;
        }
        let first = sv.segments.first().map(Vec::as_slice).unwrap_or(&[]);
        c.draw_series(LineSeries::new(first.iter().copied(), line))?
            .label(sv.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + (14.0 * s) as i32, y)],
                    colour.stroke_width((2.0 * s) as u32),
                )
            });
    }
    if chart.series.len() > 1 {
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(rgb(palette::PAPER).mix(0.85))
            .border_style(rgb(palette::LINE))
            .label_font(
                ("sans-serif", 11.0 * s)
                    .into_font()
                    .color(&rgb(palette::INK)),
            )
            .draw()?;
    }
    if chart.series.iter().all(|s| s.segments.is_empty()) {
        let (w, h) = area.dim_in_pixel();
        area.draw(&Text::new(
            chart.empty_note,
            ((w / 2) as i32, (h / 2) as i32),
            font(12.0, s, palette::MUTED, HPos::Center, VPos::Center),
        ))?;
    }
    Ok(())
}

/// Axis labels without noise: 1200 -> 1.2k, 0.5 -> 0.5, 12 -> 12.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Scenario, SimTime, Simulation};
    use crate::view_model::charts;

    #[test]
    fn charts_render_to_svg_with_titles_and_lines() {
        let mut sim = Simulation::new(Scenario::default()).unwrap();
        sim.advance_to(SimTime::from_ms(12_000), u64::MAX);
        for cv in charts(&sim) {
            let mut svg = String::new();
            {
                let area = SVGBackend::with_string(&mut svg, (400, 200)).into_drawing_area();
                draw_chart(&area, &cv, 1.0).unwrap();
                area.present().unwrap();
            }
            assert!(svg.contains(&cv.title), "title {}", cv.title);
            assert!(svg.contains("<polyline"), "no line in {}", cv.title);
        }
    }

    #[test]
    fn compact_labels() {
        assert_eq!(compact(1200.0), "1.2k");
        assert_eq!(compact(3.0), "3");
        assert_eq!(compact(0.25), "0.2");
        assert_eq!(compact(2_500_000.0), "2.5M");
    }
}
