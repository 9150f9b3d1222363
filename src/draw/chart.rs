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
    // Title, then (with several series) one legend row, then the plot: the legend sits
    // outside the plot so it never hides a line.
    let title_h = (22.0 * s) as u32;
    let (head, body) = area.split_vertically(title_h + legend_height(chart, s));
    let (w, _) = head.dim_in_pixel();
    head.draw(&Text::new(
        format!("{} ({})", chart.title, chart.unit),
        ((w / 2) as i32, (13.0 * s) as i32),
        font(13.0, s, palette::INK, HPos::Center, VPos::Center),
    ))?;
    let mut c = ChartBuilder::on(&body)
        .margin((8.0 * s) as u32)
        .margin_top((4.0 * s) as u32)
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
        let line = rgb(sv.colour).stroke_width((2.0 * s) as u32);
        for run in &sv.segments {
            c.draw_series(LineSeries::new(run.iter().copied(), line))?;
        }
    }
    if chart.series.len() > 1 {
        let (xs, _) = c.plotting_area().get_pixel_range();
        let (bx, _) = head.get_base_pixel();
        let row_y = (title_h + legend_height(chart, s) / 2) as i32;
        draw_legend(&head, chart, (xs.start - bx, row_y), s)?;
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

/// Room above the plot for the legend row (none for a single series).
fn legend_height(chart: &ChartView, s: f64) -> u32 {
    if chart.series.len() > 1 {
        (14.0 * s) as u32
    } else {
        0
    }
}

/// One row of legend entries centred on `y`, starting at the plot's left edge: a short line
/// in the series' colour, then its name.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &ChartView,
    (left, y): (i32, i32),
    s: f64,
) -> DrawResult<DB> {
    let mut x = left;
    for sv in &chart.series {
        let swatch = (14.0 * s) as i32;
        area.draw(&PathElement::new(
            vec![(x, y), (x + swatch, y)],
            rgb(sv.colour).stroke_width((2.0 * s) as u32),
        ))?;
        x += swatch + (4.0 * s) as i32;
        let text = font(11.0, s, palette::INK, HPos::Left, VPos::Center);
        let width = area
            .estimate_text_size(&sv.name, &text)
            .map_or(sv.name.len() as u32 * (6.0 * s) as u32, |(w, _)| w);
        area.draw(&Text::new(sv.name.clone(), (x, y), text))?;
        x += width as i32 + (12.0 * s) as i32;
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
