//! The history chart: one metric of many runs over time, one line per cell, change points
//! ([`crate::analysis::change_points`]) marked with their p-value and size.
//!
//! The x axis is ordinal (one slot per run, oldest left, labelled with its date), so runs
//! days apart and runs minutes apart are equally readable.

use std::io;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::{Deserialize, Serialize};

use super::chart::{
    axis_bounds, e2s, emit, marker, ChartFormat, Draw, DrawResult, FAMILY, PALETTE,
};
use super::{human, ExportError};
use crate::analysis::ChangePoint;

/// One cell's values over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryLine {
    /// Cell (and build) name.
    pub name: String,
    /// `(run slot, value)`, slots ascending.
    pub points: Vec<(usize, f64)>,
    /// Change points; `index` counts into `points`.
    pub changes: Vec<ChangePoint>,
}

/// Everything the history chart draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Metric name.
    pub metric: String,
    /// Canonical unit (`1/s`, `ns`, ...).
    pub unit: String,
    /// One label per run slot, oldest first (`2025-11-21 abc1234`).
    pub runs: Vec<String>,
    /// Lines.
    pub lines: Vec<HistoryLine>,
}

/// Renders a [`History`] as SVG or PNG.
#[derive(Debug, Clone, Copy)]
pub struct HistoryChart {
    /// SVG or PNG.
    pub format: ChartFormat,
    /// Size of the plot in pixels (the legend is added on the right).
    pub size: (u32, u32),
}

impl Default for HistoryChart {
    fn default() -> Self {
        HistoryChart {
            format: ChartFormat::Png,
            size: (1200, 700),
        }
    }
}

impl HistoryChart {
    /// File extension (`svg` or `png`).
    pub fn extension(&self) -> &'static str {
        self.format.ext()
    }

    /// Draws `h` to `out`; a history without any point is an error.
    pub fn render(&self, h: &History, out: &mut dyn io::Write) -> Result<(), ExportError> {
        if h.lines.iter().all(|l| l.points.is_empty()) {
            return Err(ExportError::Empty {
                what: "history chart".into(),
                why: format!("no `{}` values in any run", h.metric),
            });
        }
        emit(&HistoryData { h, size: self.size }, self.format, out)
    }
}

struct HistoryData<'a> {
    h: &'a History,
    size: (u32, u32),
}

const ROW: i32 = 24;

impl HistoryData<'_> {
    fn legend_width(&self) -> u32 {
        let longest = self.h.lines.iter().map(|l| l.name.chars().count()).max();
        longest.unwrap_or(8) as u32 * 8 + 70
    }

    fn y_range(&self) -> Result<(f64, f64), String> {
        let (lo, hi) = self
            .h
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
        let pad = ((hi - lo) * 0.12).max(hi.abs() * 0.02).max(1e-9);
        let (lo, hi) = (
            if lo >= 0.0 {
                (lo - pad).max(0.0)
            } else {
                lo - pad
            },
            hi + pad,
        );
        axis_bounds("y", lo, hi)?;
        Ok((lo, hi))
    }

    /// Every change point: a dashed vertical line between the two runs and its p-value.
    fn draw_changes<DB: DrawingBackend>(
        &self,
        chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
        (lo, hi): (f64, f64),
    ) -> DrawResult {
        let red = RGBColor(200, 30, 30);
        let font = TextStyle::from((FAMILY, 13).into_font())
            .color(&red)
            .pos(Pos::new(HPos::Left, VPos::Top));
        let mut k = 0;
        for (li, l) in self.h.lines.iter().enumerate() {
            for c in &l.changes {
                let (Some(prev), Some(next)) = (l.points.get(c.index - 1), l.points.get(c.index))
                else {
                    continue;
                };
                let x = (prev.0 as f64 + next.0 as f64) / 2.0;
                let dash = DashedLineSeries::new([(x, lo), (x, hi)], 8, 5, red.stroke_width(2));
                chart.draw_series(dash).map_err(e2s)?;
                let pct = c.change_pct().map_or("n/a".into(), |p| format!("{p:+.1}%"));
                let text = format!("#{} {pct} (p={:.3})", li + 1, c.p_value);
                let y = hi - (hi - lo) * (0.02 + 0.05 * (k % 4) as f64);
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (x + 0.05, y),
                        font.clone(),
                    )))
                    .map_err(e2s)?;
                k += 1;
            }
        }
        Ok(())
    }

    fn draw_legend<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let font =
            TextStyle::from((FAMILY, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        let head = TextStyle::from((FAMILY, 15).into_font().style(FontStyle::Bold))
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text("cell (line)", &head, (8, 60)).map_err(e2s)?;
        for (i, l) in self.h.lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let y = 60 + ROW * (i as i32 + 1);
            area.draw(&PathElement::new(
                vec![(8, y), (44, y)],
                color.stroke_width(3),
            ))
            .map_err(e2s)?;
            marker(area, (26, y), i / PALETTE.len(), color)?;
            area.draw_text(&format!("#{} {}", i + 1, l.name), &font, (52, y))
                .map_err(e2s)?;
        }
        let y = 60 + ROW * (self.h.lines.len() as i32 + 2);
        let red = RGBColor(200, 30, 30);
        area.draw(&PathElement::new(
            vec![(8, y), (44, y)],
            red.stroke_width(2),
        ))
        .map_err(e2s)?;
        area.draw_text("change point (E-divisive)", &font, (52, y))
            .map_err(e2s)
    }
}

impl Draw for HistoryData<'_> {
    fn name(&self) -> &'static str {
        "history"
    }

    fn size(&self) -> (u32, u32) {
        let legend_h = 120 + ROW as u32 * self.h.lines.len() as u32;
        (self.size.0 + self.legend_width(), self.size.1.max(legend_h))
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(e2s)?;
        let (w, _) = self.size();
        let (plot, legend) = area.split_horizontally(w - self.legend_width());
        let (lo, hi) = self.y_range()?;
        let n = self.h.runs.len().max(1);
        let runs = &self.h.runs;
        let unit = &self.h.unit;
        let mut chart = ChartBuilder::on(&plot)
            .caption(format!("{} over time", self.h.metric), (FAMILY, 22))
            .margin(15)
            .x_label_area_size(60)
            .y_label_area_size(100)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..hi)
            .map_err(e2s)?;
        let every = n.div_ceil(8);
        chart
            .configure_mesh()
            .x_labels(n.min(60))
            .x_label_formatter(&|x| {
                let i = x.round();
                let ok = (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) % every == 0;
                ok.then(|| runs.get(i as usize).cloned())
                    .flatten()
                    .unwrap_or_default()
            })
            .y_label_formatter(&|y| human(*y, unit))
            .x_desc("run (oldest left; baselines, gate reports and run files)")
            .y_desc(format!("{} (median of rounds)", self.h.metric))
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .disable_x_mesh()
            .draw()
            .map_err(e2s)?;
        for (i, l) in self.h.lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let pts = l.points.iter().map(|(x, y)| (*x as f64, *y));
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(e2s)?;
            for (x, y) in &l.points {
                let at = chart.backend_coord(&(*x as f64, *y));
                marker(&plot, at, i / PALETTE.len(), color)?;
            }
        }
        self.draw_changes(&mut chart, (lo, hi))?;
        self.draw_legend(&legend)
    }
}
