//! Charts (SVG or PNG) with plotters.
//!
//! PNG text is rendered with an embedded copy of DejaVu Sans (Bitstream Vera license, see
//! `assets/DejaVu-LICENSE.txt`) through plotters' `ab_glyph` feature, so no system font,
//! fontconfig or freetype is needed at build or run time and output is the same on every
//! machine. SVG text is emitted as `<text font-family="sans-serif">`.
//!
//! * [`ChangeChart`]: one horizontal bar per (gate, cell): the change with its CI whiskers,
//!   colored by verdict (green pass/improved, red regressed/failed, amber inconclusive, grey
//!   missing), with the gate's boundary marked.
//! * [`ScalingChart`]: a metric (default deliveries/s) vs fanout, one line per contender
//!   (and feature set), log-scale y, from the report's `points`.
//! * [`HeatmapChart`]: burst x fanout grid of a change (from rows) or a median (from points).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{human, row_label, ExportError, Exporter};
use crate::analysis::{Direction, GateKind, Verdict};
use crate::report::{Report, Row};

/// Embedded DejaVu Sans.
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Output format of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    /// Scalable vector graphics.
    Svg,
    /// PNG (RGB, 8 bit).
    Png,
}

impl ChartFormat {
    fn ext(self) -> &'static str {
        match self {
            ChartFormat::Svg => "svg",
            ChartFormat::Png => "png",
        }
    }
}

type DrawResult = Result<(), String>;

trait Draw {
    fn name(&self) -> &'static str;
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult;
}

fn font_ready() -> Result<(), String> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ok = *READY.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok()
            && plotters::style::register_font(FAMILY, FontStyle::Bold, FONT).is_ok()
    });
    ok.then_some(())
        .ok_or_else(|| "embedded font is invalid".into())
}

fn emit<D: Draw>(d: &D, format: ChartFormat, out: &mut dyn io::Write) -> Result<(), ExportError> {
    let chart_err = |message: String| ExportError::Chart {
        chart: d.name().into(),
        message,
    };
    font_ready().map_err(chart_err)?;
    let (w, h) = d.size();
    match format {
        ChartFormat::Svg => {
            let mut s = String::new();
            {
                let root = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
                d.draw(&root).map_err(chart_err)?;
                root.present().map_err(|e| chart_err(e.to_string()))?;
            }
            out.write_all(s.as_bytes())?;
        }
        ChartFormat::Png => {
            let mut buf = vec![0u8; (w * h * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
                d.draw(&root).map_err(chart_err)?;
                root.present().map_err(|e| chart_err(e.to_string()))?;
            }
            let mut enc = png::Encoder::new(&mut *out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc.write_header().map_err(|e| chart_err(e.to_string()))?;
            writer
                .write_image_data(&buf)
                .map_err(|e| chart_err(e.to_string()))?;
            writer.finish().map_err(|e| chart_err(e.to_string()))?;
        }
    }
    Ok(())
}

/// Refuses an axis plotters cannot draw in bounded time: non-finite or empty bounds.
fn axis_bounds(axis: &str, lo: f64, hi: f64) -> DrawResult {
    if lo.is_finite() && hi.is_finite() && lo < hi {
        Ok(())
    } else {
        Err(format!(
            "the {axis} axis would span {lo}..{hi}: values out of the plottable range"
        ))
    }
}

fn e2s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

const GREEN: RGBColor = RGBColor(26, 150, 65);
const RED_: RGBColor = RGBColor(215, 25, 28);
const AMBER: RGBColor = RGBColor(230, 145, 0);
const GREY: RGBColor = RGBColor(150, 150, 150);

fn verdict_color(v: Verdict) -> RGBColor {
    match v {
        Verdict::Pass | Verdict::Improved => GREEN,
        Verdict::Regressed | Verdict::Failed => RED_,
        Verdict::Inconclusive => AMBER,
        Verdict::Missing => GREY,
    }
}

// ------------------------------------------------------------------ change chart

/// Per-(gate, cell) change with CI whiskers, colored by verdict.
#[derive(Debug, Clone, Copy)]
pub struct ChangeChart {
    /// SVG or PNG.
    pub format: ChartFormat,
    /// Width in pixels (height grows with the number of rows).
    pub width: u32,
}

impl Default for ChangeChart {
    fn default() -> Self {
        ChangeChart {
            format: ChartFormat::Png,
            width: 1400,
        }
    }
}

struct ChangeData<'a> {
    rows: Vec<&'a Row>,
    width: u32,
    title: String,
}

/// Where the gate's boundary sits on the change axis.
fn boundary(row: &Row) -> Option<f64> {
    let dir = row.metric.as_ref()?.direction;
    let t = row.threshold_pct;
    Some(match (row.gate_kind, dir) {
        (GateKind::Acceptance, Direction::HigherIsBetter) => t,
        (GateKind::Acceptance, Direction::LowerIsBetter) => -t,
        (GateKind::Regression, Direction::HigherIsBetter) => -t,
        (GateKind::Regression, Direction::LowerIsBetter) => t,
    })
}

fn clip(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        s
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

impl Draw for ChangeData<'_> {
    fn name(&self) -> &'static str {
        "change"
    }

    fn size(&self) -> (u32, u32) {
        (self.width, 140 + 30 * self.rows.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(e2s)?;
        let n = self.rows.len();
        let mut lo = 0.0f64;
        let mut hi = 0.0f64;
        for r in &self.rows {
            for v in [
                r.delta_pct,
                r.ci_pct.map(|c| c.lo),
                r.ci_pct.map(|c| c.hi),
                boundary(r),
            ]
            .into_iter()
            .flatten()
            .filter(|v| v.is_finite())
            {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        let pad = ((hi - lo) * 0.08).max(1.0);
        axis_bounds("change", lo - pad, hi + pad)?;
        let labels: Vec<String> = self
            .rows
            .iter()
            .map(|r| clip(format!("{}  {}", r.gate_id, row_label(&r.params)), 70))
            .collect();
        let label_w = labels.iter().map(|l| l.chars().count()).max().unwrap_or(10) as u32 * 8 + 20;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FAMILY, 22))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(label_w.min(self.width / 2))
            .build_cartesian_2d((lo - pad)..(hi + pad), -0.5f64..(n as f64 - 0.5))
            .map_err(e2s)?;
        let idx = |y: f64| -> Option<usize> {
            let i = y.round();
            (i >= 0.0 && (i as usize) < n && (y - i).abs() < 1e-6).then(|| n - 1 - i as usize)
        };
        chart
            .configure_mesh()
            .y_labels(n.max(1))
            .y_label_formatter(&|y| idx(*y).map(|i| labels[i].clone()).unwrap_or_default())
            .x_label_formatter(&|x| format!("{x:+.0}%"))
            .x_desc("change of the median, new vs base (whiskers: bootstrap CI; | gate boundary)")
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 15))
            .disable_y_mesh()
            .draw()
            .map_err(e2s)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
                BLACK.stroke_width(1),
            )))
            .map_err(e2s)?;
        for (i, r) in self.rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let color = verdict_color(r.verdict);
            if let Some(b) = boundary(r) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(b, y - 0.35), (b, y + 0.35)],
                        BLACK.stroke_width(2),
                    )))
                    .map_err(e2s)?;
            }
            if let Some(ci) = r.ci_pct {
                chart
                    .draw_series([
                        PathElement::new(vec![(ci.lo, y), (ci.hi, y)], color.stroke_width(3)),
                        PathElement::new(
                            vec![(ci.lo, y - 0.2), (ci.lo, y + 0.2)],
                            color.stroke_width(2),
                        ),
                        PathElement::new(
                            vec![(ci.hi, y - 0.2), (ci.hi, y + 0.2)],
                            color.stroke_width(2),
                        ),
                    ])
                    .map_err(e2s)?;
            }
            if let Some(d) = r.delta_pct.filter(|d| d.is_finite()) {
                chart
                    .draw_series(std::iter::once(Circle::new((d, y), 6, color.filled())))
                    .map_err(e2s)?;
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("{d:+.1}% {}", r.verdict.as_str()),
                        (d, y + 0.45),
                        (FAMILY, 13).into_font().color(&color),
                    )))
                    .map_err(e2s)?;
            } else {
                chart
                    .draw_series(std::iter::once(Text::new(
                        r.verdict.as_str().to_string(),
                        (0.0, y + 0.2),
                        (FAMILY, 13).into_font().color(&GREY),
                    )))
                    .map_err(e2s)?;
            }
        }
        Ok(())
    }
}

impl Exporter for ChangeChart {
    fn extension(&self) -> &'static str {
        self.format.ext()
    }

    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError> {
        let data = ChangeData {
            rows: report.rows.iter().collect(),
            width: self.width,
            title: format!(
                "{} — {} — change per cell",
                report.meta.label, report.meta.date
            ),
        };
        if data.rows.is_empty() {
            return Err(ExportError::Empty {
                what: "change chart".into(),
                why: "the report has no rows".into(),
            });
        }
        emit(&data, self.format, out)
    }
}

// ------------------------------------------------------------------ scaling chart

/// A metric vs fanout, one line per contender (+features), log-scale y.
#[derive(Debug, Clone)]
pub struct ScalingChart {
    /// SVG or PNG.
    pub format: ChartFormat,
    /// Scenario to plot.
    pub scenario: String,
    /// Metric name (default `deliveries_per_sec`).
    pub metric: String,
    /// Param on the x axis (default `fanout`).
    pub x_param: String,
    /// Params that must match exactly (e.g. `burst=256`, `cap=2048`); others are ignored.
    pub fixed: BTreeMap<String, String>,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl ScalingChart {
    /// Deliveries/s vs fanout for `scenario`, PNG, 1200x750.
    pub fn new(scenario: &str) -> ScalingChart {
        ScalingChart {
            format: ChartFormat::Png,
            scenario: scenario.into(),
            metric: "deliveries_per_sec".into(),
            x_param: "fanout".into(),
            fixed: BTreeMap::new(),
            size: (1200, 750),
        }
    }
}

struct ScalingData {
    lines: Vec<(String, Vec<(f64, f64)>)>,
    title: String,
    x_desc: String,
    y_desc: String,
    unit: String,
    size: (u32, u32),
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

impl Draw for ScalingData {
    fn name(&self) -> &'static str {
        "scaling"
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(e2s)?;
        let all: Vec<(f64, f64)> = self
            .lines
            .iter()
            .flat_map(|(_, p)| p.iter().copied())
            .collect();
        let (xmin, xmax) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), (x, _)| {
            (a.min(*x), b.max(*x))
        });
        let (ymin, ymax) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), (_, y)| {
            (a.min(*y), b.max(*y))
        });
        // x is plotted as log2(x) on a linear axis so ticks land on powers of two (1 2 4 8 16 ...).
        let (lx0, lx1) = (xmin.log2() - 0.3, xmax.log2() + 0.3);
        // plotters walks a log axis decade by decade: an infinite or non-positive bound would
        // never end (a value near f64::MAX times 1.6 is infinite).
        axis_bounds("x (log2)", lx0, lx1)?;
        axis_bounds("y", ymin / 1.6, ymax * 1.6)?;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FAMILY, 24))
            .margin(15)
            .x_label_area_size(50)
            .y_label_area_size(100)
            .build_cartesian_2d(lx0..lx1, (ymin / 1.6..ymax * 1.6).log_scale())
            .map_err(e2s)?;
        let unit = self.unit.clone();
        chart
            .configure_mesh()
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .x_labels(((lx1 - lx0).ceil() as usize + 1).max(2))
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-6 {
                    format!("{}", 2f64.powf(x.round()))
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| human(*y, &unit))
            .label_style((FAMILY, 15))
            .axis_desc_style((FAMILY, 16))
            .draw()
            .map_err(e2s)?;
        for (i, (name, pts)) in self.lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|(x, y)| (x.log2(), *y)),
                    color.stroke_width(3),
                ))
                .map_err(e2s)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                });
            chart
                .draw_series(
                    pts.iter()
                        .map(|(x, y)| Circle::new((x.log2(), *y), 5, color.filled())),
                )
                .map_err(e2s)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FAMILY, 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(e2s)?;
        Ok(())
    }
}

impl Exporter for ScalingChart {
    fn extension(&self) -> &'static str {
        self.format.ext()
    }

    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError> {
        let mut lines: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        let mut unit = String::new();
        for p in &report.points {
            if p.scenario != self.scenario || p.metric.name != self.metric {
                continue;
            }
            if self.fixed.iter().any(|(k, v)| p.params.get(k) != Some(v)) {
                continue;
            }
            let Some(x) = p
                .params
                .get(&self.x_param)
                .and_then(|v| v.parse::<f64>().ok())
            else {
                continue;
            };
            if !(x > 0.0 && p.summary.median > 0.0) {
                continue;
            }
            unit = p.metric.unit.clone();
            let mut name = p.contender.clone();
            for f in &p.features {
                name.push('+');
                name.push_str(f);
            }
            lines.entry(name).or_default().push((x, p.summary.median));
        }
        if lines.is_empty() {
            return Err(ExportError::Empty {
                what: "scaling chart".into(),
                why: format!(
                    "no positive `{}` points with a numeric `{}` in scenario `{}`",
                    self.metric, self.x_param, self.scenario
                ),
            });
        }
        for pts in lines.values_mut() {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        let fixed: Vec<String> = self.fixed.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let data = ScalingData {
            lines: lines.into_iter().collect(),
            title: format!(
                "{} vs {} — {}{}",
                self.metric,
                self.x_param,
                self.scenario,
                if fixed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", fixed.join(", "))
                }
            ),
            x_desc: format!("{} (log2 scale)", self.x_param),
            y_desc: format!("{} (median of rounds, log scale)", self.metric),
            unit,
            size: self.size,
        };
        emit(&data, self.format, out)
    }
}

// ------------------------------------------------------------------ heatmap

/// What a heatmap cell shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeatValue {
    /// Change in percent from the report's rows with this metric (optionally one gate);
    /// green = better, red = worse (direction-aware).
    Delta {
        /// Metric name.
        metric: String,
        /// Restrict to one gate id.
        gate: Option<String>,
    },
    /// Median of the report's points for one scenario/contender/metric.
    Median {
        /// Scenario.
        scenario: String,
        /// Contender.
        contender: String,
        /// Metric name.
        metric: String,
    },
}

/// Burst x fanout heatmap.
#[derive(Debug, Clone)]
pub struct HeatmapChart {
    /// SVG or PNG.
    pub format: ChartFormat,
    /// What to show.
    pub value: HeatValue,
    /// Column param (default `fanout`).
    pub x_param: String,
    /// Row param (default `burst`).
    pub y_param: String,
    /// Size in pixels.
    pub size: (u32, u32),
}

impl HeatmapChart {
    /// A burst x fanout heatmap of `value`, PNG, 1100x750.
    pub fn new(value: HeatValue) -> HeatmapChart {
        HeatmapChart {
            format: ChartFormat::Png,
            value,
            x_param: "fanout".into(),
            y_param: "burst".into(),
            size: (1100, 750),
        }
    }
}

struct HeatData {
    xs: Vec<String>,
    ys: Vec<String>,
    cells: BTreeMap<(usize, usize), (f64, String, RGBColor)>,
    title: String,
    x_desc: String,
    y_desc: String,
    size: (u32, u32),
}

impl Draw for HeatData {
    fn name(&self) -> &'static str {
        "heatmap"
    }

    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(e2s)?;
        let (nx, ny) = (self.xs.len(), self.ys.len());
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FAMILY, 24))
            .margin(15)
            .x_label_area_size(55)
            .y_label_area_size(90)
            .build_cartesian_2d(0f64..nx as f64, 0f64..ny as f64)
            .map_err(e2s)?;
        let xs = self.xs.clone();
        let ys = self.ys.clone();
        let pick = |v: f64, names: &[String]| -> String {
            let c = v - 0.5;
            if (c - c.round()).abs() < 1e-6 && c >= 0.0 && (c.round() as usize) < names.len() {
                names[c.round() as usize].clone()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nx * 2 + 1)
            .y_labels(ny * 2 + 1)
            .x_label_formatter(&|x| pick(*x, &xs))
            .y_label_formatter(&|y| pick(*y, &ys))
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .label_style((FAMILY, 16))
            .axis_desc_style((FAMILY, 17))
            .draw()
            .map_err(e2s)?;
        for i in 0..nx {
            for j in 0..ny {
                let (x0, y0) = (i as f64, j as f64);
                let (fill, text) = match self.cells.get(&(i, j)) {
                    Some((_, label, color)) => (*color, label.clone()),
                    None => (RGBColor(235, 235, 235), "—".to_string()),
                };
                chart
                    .draw_series([
                        Rectangle::new([(x0, y0), (x0 + 1.0, y0 + 1.0)], fill.filled()),
                        Rectangle::new([(x0, y0), (x0 + 1.0, y0 + 1.0)], WHITE.stroke_width(2)),
                    ])
                    .map_err(e2s)?;
                let style = TextStyle::from((FAMILY, 20).into_font())
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (x0 + 0.5, y0 + 0.5),
                        style,
                    )))
                    .map_err(e2s)?;
            }
        }
        Ok(())
    }
}

fn sort_numeric(set: BTreeSet<String>) -> Vec<String> {
    let mut v: Vec<String> = set.into_iter().collect();
    v.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        _ => a.cmp(b),
    });
    v
}

/// Diverging color for a gain in percent: red (worse) - white - green (better), saturating
/// at +-`span`.
fn diverging(gain: f64, span: f64) -> RGBColor {
    let t = (gain / span).clamp(-1.0, 1.0);
    let mix = |a: u8, b: u8, t: f64| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    let (r, g, b) = if t >= 0.0 {
        (90, 180, 100)
    } else {
        (230, 90, 80)
    };
    let t = t.abs();
    RGBColor(mix(255, r, t), mix(255, g, t), mix(255, b, t))
}

/// Sequential white-to-blue color for `v` in `[lo, hi]` on a log scale.
fn sequential(v: f64, lo: f64, hi: f64) -> RGBColor {
    let t = if hi > lo && lo > 0.0 {
        ((v.ln() - lo.ln()) / (hi.ln() - lo.ln())).clamp(0.0, 1.0)
    } else {
        0.5
    };
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    RGBColor(mix(240, 60), mix(245, 120), mix(255, 200))
}

impl Exporter for HeatmapChart {
    fn extension(&self) -> &'static str {
        self.format.ext()
    }

    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError> {
        // (x value, y value, number, label, gain or raw value)
        let mut raw: Vec<(String, String, f64, String, f64)> = Vec::new();
        let title = match &self.value {
            HeatValue::Delta { metric, gate } => {
                for r in &report.rows {
                    let Some(m) = r.metric.as_ref().filter(|m| &m.name == metric) else {
                        continue;
                    };
                    if gate.as_ref().is_some_and(|g| g != &r.gate_id) {
                        continue;
                    }
                    let (Some(x), Some(y), Some(d)) = (
                        r.params.get(&self.x_param),
                        r.params.get(&self.y_param),
                        r.delta_pct,
                    ) else {
                        continue;
                    };
                    let gain = if m.direction == Direction::HigherIsBetter {
                        d
                    } else {
                        -d
                    };
                    raw.push((x.clone(), y.clone(), d, format!("{d:+.1}%"), gain));
                }
                format!(
                    "change of {metric}{} — {} x {}",
                    gate.as_ref().map(|g| format!(" ({g})")).unwrap_or_default(),
                    self.y_param,
                    self.x_param
                )
            }
            HeatValue::Median {
                scenario,
                contender,
                metric,
            } => {
                for p in &report.points {
                    if &p.scenario != scenario
                        || &p.contender != contender
                        || &p.metric.name != metric
                    {
                        continue;
                    }
                    let (Some(x), Some(y)) =
                        (p.params.get(&self.x_param), p.params.get(&self.y_param))
                    else {
                        continue;
                    };
                    let v = p.summary.median;
                    raw.push((x.clone(), y.clone(), v, human(v, &p.metric.unit), v));
                }
                format!(
                    "{metric} — {contender} — {scenario} — {} x {}",
                    self.y_param, self.x_param
                )
            }
        };
        if raw.is_empty() {
            return Err(ExportError::Empty {
                what: "heatmap".into(),
                why: format!(
                    "no values with both `{}` and `{}` params",
                    self.x_param, self.y_param
                ),
            });
        }
        let xs = sort_numeric(raw.iter().map(|r| r.0.clone()).collect());
        let ys = sort_numeric(raw.iter().map(|r| r.1.clone()).collect());
        let span = raw.iter().map(|r| r.4.abs()).fold(5.0f64, f64::max);
        let (lo, hi) = raw
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), r| (a.min(r.4), b.max(r.4)));
        let mut cells = BTreeMap::new();
        for (x, y, v, label, g) in raw {
            let i = xs.iter().position(|s| *s == x).unwrap_or(0);
            let j = ys.iter().position(|s| *s == y).unwrap_or(0);
            let color = match self.value {
                HeatValue::Delta { .. } => diverging(g, span),
                HeatValue::Median { .. } => sequential(g, lo, hi),
            };
            cells.entry((i, j)).or_insert((v, label, color));
        }
        let data = HeatData {
            xs,
            ys,
            cells,
            title,
            x_desc: self.x_param.clone(),
            y_desc: self.y_param.clone(),
            size: self.size,
        };
        emit(&data, self.format, out)
    }
}
