//! Charts (SVG or PNG) with plotters.
//!
//! PNG text is rendered with an embedded copy of DejaVu Sans (Bitstream Vera license, see
//! `assets/DejaVu-LICENSE.txt`) through plotters' `ab_glyph` feature, so no system font,
//! fontconfig or freetype is needed at build or run time and output is the same on every
//! machine. SVG text is emitted as `<text font-family="sans-serif">`.
//!
//! * [`ChangeChart`]: one horizontal bar per (gate, cell) on a symmetric-log axis ([`SymLog`]):
//!   the change with its CI whiskers, full labels, values in a column right of the plot,
//!   colored by verdict (green pass/improved, red regressed/failed, amber inconclusive, grey
//!   missing), with the gate's boundary marked.
//! * [`ScalingChart`]: a metric (default deliveries/s) vs fanout, one line per contender and per
//!   value of every other varying param (cap, burst, build): colour per contender (+features),
//!   dash and marker per variant, legend right of the plot, log-scale y, from `points`.
//! * [`HeatmapChart`]: burst x fanout grid of a change (from rows) or a median (from points).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::OnceLock;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{human, row_label, ExportError, Exporter};
use crate::analysis::{Direction, GateKind, Verdict};
use crate::report::{Report, Row};

/// Embedded DejaVu Sans.
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
pub(super) const FAMILY: &str = "sans-serif";

/// Output format of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    /// Scalable vector graphics.
    Svg,
    /// PNG (RGB, 8 bit).
    Png,
}

impl ChartFormat {
    pub(super) fn ext(self) -> &'static str {
        match self {
            ChartFormat::Svg => "svg",
            ChartFormat::Png => "png",
        }
    }
}

pub(super) type DrawResult = Result<(), String>;

pub(super) trait Draw {
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

pub(super) fn emit<D: Draw>(
    d: &D,
    format: ChartFormat,
    out: &mut dyn io::Write,
) -> Result<(), ExportError> {
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
            // Charts are committed and attached to PRs: size matters more than encode time.
            enc.set_compression(png::Compression::Best);
            enc.set_filter(png::FilterType::Paeth);
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
pub(super) fn axis_bounds(axis: &str, lo: f64, hi: f64) -> DrawResult {
    if lo.is_finite() && hi.is_finite() && lo < hi {
        Ok(())
    } else {
        Err(format!(
            "the {axis} axis would span {lo}..{hi}: values out of the plottable range"
        ))
    }
}

pub(super) fn e2s<E: std::fmt::Display>(e: E) -> String {
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

/// The change axis: linear within `±lin` percent, log10 beyond, so one +220% outlier does
/// not squeeze the ±5% rows into a sliver (a symmetric-log axis, as matplotlib's `symlog`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymLog {
    /// Half-width of the linear region in percent.
    pub lin: f64,
}

impl SymLog {
    /// Linear region covering every gate boundary (at least ±10%, rounded up to 5%).
    pub fn for_boundaries(bounds: impl IntoIterator<Item = f64>) -> SymLog {
        let widest = bounds
            .into_iter()
            .filter(|b| b.is_finite())
            .fold(10.0f64, |a, b| a.max(b.abs()));
        SymLog {
            lin: (widest / 5.0).ceil() * 5.0,
        }
    }

    /// Percent -> axis position.
    pub fn fwd(self, x: f64) -> f64 {
        if x.abs() <= self.lin {
            x
        } else {
            x.signum() * self.lin * (1.0 + (x.abs() / self.lin).log10())
        }
    }

    /// Axis position -> percent.
    pub fn inv(self, t: f64) -> f64 {
        if t.abs() <= self.lin {
            t
        } else {
            t.signum() * self.lin * 10f64.powf(t.abs() / self.lin - 1.0)
        }
    }

    /// Tick positions (axis units) inside `lo..hi` (axis units): round steps in the linear
    /// region; beyond it 1-2-5 x 10^k percent, thinned so labels stay at least half the
    /// linear region (and a 14th of the axis) apart: a decade is only `lin` axis units wide.
    pub fn ticks(self, lo: f64, hi: f64) -> Vec<f64> {
        let lin_span = hi.min(self.lin) - lo.max(-self.lin);
        let step = nice_step(lin_span.max(1e-9) / 6.0);
        let mut t: Vec<f64> = Vec::new();
        let k0 = (lo.max(-self.lin) / step).ceil() as i64;
        let k1 = (hi.min(self.lin) / step).floor() as i64;
        for k in k0..=k1.min(k0 + 40) {
            t.push(k as f64 * step);
        }
        // At most ~14 log ticks across the axis, whatever its span.
        let gap = (self.lin * 0.5).max((hi - lo) / 14.0);
        for sign in [1.0, -1.0] {
            let mut last = sign * self.lin;
            // 1e308 percent is the largest finite change; 309 decades x 3 candidates.
            for e in 0..=308 {
                for m in [1.0, 2.0, 5.0] {
                    let v = sign * m * 10f64.powi(e);
                    let pos = self.fwd(v);
                    let inside = pos > lo && pos < hi && v.abs() > self.lin;
                    if inside && (pos - last).abs() >= gap {
                        t.push(pos);
                        last = pos;
                    }
                }
            }
        }
        t.sort_by(f64::total_cmp);
        t.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        t
    }
}

/// A linear f64 axis whose ticks are given (plotters' own picks ignore the transform).
#[derive(Debug, Clone)]
struct TickedAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// 1, 2, 2.5 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}

/// `+5%`, `-0.5%`, `+220%`: no trailing zeros.
fn tick_label(v: f64) -> String {
    if v.abs() < 1e-9 {
        return "0%".into();
    }
    let s = if v.abs() >= 10.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:+.0}")
    } else {
        format!("{v:+.1}")
    };
    format!("{s}%")
}

impl ChangeData<'_> {
    /// The row labels: gate id and the full cell label, never truncated.
    fn labels(&self) -> Vec<String> {
        self.rows
            .iter()
            .map(|r| format!("{}  {}", r.gate_id, row_label(&r.params)))
            .collect()
    }

    /// Every finite value the axis must show (changes, CI ends, boundaries), in percent.
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.rows
            .iter()
            .flat_map(|r| {
                [
                    r.delta_pct,
                    r.ci_pct.map(|c| c.lo),
                    r.ci_pct.map(|c| c.hi),
                    boundary(r),
                ]
            })
            .flatten()
            .filter(|v| v.is_finite())
    }

    /// Axis transform and bounds (axis units). Without any value the axis spans ±lin/2.
    fn axis(&self) -> Result<(SymLog, f64, f64), String> {
        let sl = SymLog::for_boundaries(self.rows.iter().filter_map(|r| boundary(r)));
        let (lo, hi) = self
            .values()
            .map(|v| sl.fwd(v))
            .fold((-sl.lin / 2.0, sl.lin / 2.0), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let pad = (hi - lo) * 0.04;
        axis_bounds("change", lo - pad, hi + pad)?;
        Ok((sl, lo - pad, hi + pad))
    }
}

const VALUE_COLUMN: u32 = 190;
const LEGEND_H: u32 = 34;

impl Draw for ChangeData<'_> {
    fn name(&self) -> &'static str {
        "change"
    }

    fn size(&self) -> (u32, u32) {
        let longest = self.labels().iter().map(|l| l.chars().count()).max();
        // ~7.6 px per character at 14 px DejaVu Sans; the plot keeps at least 600 px.
        let label_w = longest.unwrap_or(10) as u32 * 8 + 24;
        let w = self.width.max(label_w + VALUE_COLUMN + 600);
        (w, 150 + LEGEND_H + 30 * self.rows.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(e2s)?;
        let (w, h) = self.size();
        let (main, legend) = area.split_vertically(h - LEGEND_H);
        let n = self.rows.len();
        let (sl, lo, hi) = self.axis()?;
        let labels = self.labels();
        let style = TextStyle::from((FAMILY, 14).into_font());
        let label_w = labels
            .iter()
            .map(|l| main.estimate_text_size(l, &style).map_or(0, |s| s.0))
            .max()
            .unwrap_or(0)
            + 16;
        let mut chart = ChartBuilder::on(&main)
            .caption(&self.title, (FAMILY, 22))
            .margin(12)
            .margin_right(VALUE_COLUMN)
            .x_label_area_size(45)
            .y_label_area_size(label_w.min(w - VALUE_COLUMN - 300))
            .build_cartesian_2d(
                TickedAxis {
                    lo,
                    hi,
                    ticks: sl.ticks(lo, hi),
                },
                -0.5f64..(n as f64 - 0.5),
            )
            .map_err(e2s)?;
        let idx = |y: f64| -> Option<usize> {
            let i = y.round();
            (i >= 0.0 && (i as usize) < n && (y - i).abs() < 1e-6).then(|| n - 1 - i as usize)
        };
        chart
            .configure_mesh()
            .y_labels(n.max(1))
            .y_label_formatter(&|y| idx(*y).map(|i| labels[i].clone()).unwrap_or_default())
            .x_label_formatter(&|x| tick_label(sl.inv(*x)))
            .x_desc(format!(
                "change of the median, new vs base (linear within ±{}%, log beyond; whiskers: CI; | gate boundary)",
                sl.lin
            ))
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
            draw_change_row(&mut chart, sl, r, y)?;
            // The value column right of the plot: never clipped, whatever the change.
            let (px, py) = chart.backend_coord(&(hi, y));
            let text = match r.delta_pct.filter(|d| d.is_finite()) {
                Some(d) => format!("{d:+.1}% {}", r.verdict.as_str()),
                None => r.verdict.as_str().to_string(),
            };
            let color = verdict_color(r.verdict);
            let font = TextStyle::from((FAMILY, 14).into_font())
                .color(&color)
                .pos(Pos::new(HPos::Left, VPos::Center));
            main.draw_text(&text, &font, (px + 12, py)).map_err(e2s)?;
        }
        draw_verdict_legend(&legend)
    }
}

/// One row: boundary tick, CI whisker and the median dot, on the transformed axis.
fn draw_change_row<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<TickedAxis, plotters::coord::types::RangedCoordf64>>,
    sl: SymLog,
    r: &Row,
    y: f64,
) -> DrawResult {
    let color = verdict_color(r.verdict);
    if let Some(b) = boundary(r) {
        let b = sl.fwd(b);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(b, y - 0.35), (b, y + 0.35)],
                BLACK.stroke_width(2),
            )))
            .map_err(e2s)?;
    }
    if let Some(ci) = r.ci_pct.filter(|c| c.lo.is_finite() && c.hi.is_finite()) {
        let (a, b) = (sl.fwd(ci.lo), sl.fwd(ci.hi));
        chart
            .draw_series([
                PathElement::new(vec![(a, y), (b, y)], color.stroke_width(3)),
                PathElement::new(vec![(a, y - 0.2), (a, y + 0.2)], color.stroke_width(2)),
                PathElement::new(vec![(b, y - 0.2), (b, y + 0.2)], color.stroke_width(2)),
            ])
            .map_err(e2s)?;
    }
    if let Some(d) = r.delta_pct.filter(|d| d.is_finite()) {
        chart
            .draw_series(std::iter::once(Circle::new(
                (sl.fwd(d), y),
                6,
                color.filled(),
            )))
            .map_err(e2s)?;
    }
    Ok(())
}

/// The verdict colours, in one row under the chart.
fn draw_verdict_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> DrawResult {
    let items = [
        (GREEN, "pass / improved"),
        (RED_, "regressed / failed"),
        (AMBER, "inconclusive"),
        (GREY, "missing"),
    ];
    let font = TextStyle::from((FAMILY, 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = 24i32;
    let y = 12i32;
    for (color, name) in items {
        area.draw(&Circle::new((x, y), 6, color.filled()))
            .map_err(e2s)?;
        area.draw_text(name, &font, (x + 12, y)).map_err(e2s)?;
        x += 40
            + area
                .estimate_text_size(name, &font)
                .map_or(120, |s| s.0 as i32);
    }
    area.draw(&PathElement::new(
        vec![(x, y - 9), (x, y + 9)],
        BLACK.stroke_width(2),
    ))
    .map_err(e2s)?;
    area.draw_text("gate boundary", &font, (x + 10, y))
        .map_err(e2s)?;
    Ok(())
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

pub(super) const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// Pixels per legend entry.
const LEGEND_ROW: u32 = 24;

impl ScalingData {
    /// Colour per contender (+features), dash pattern and marker per variant (cap, burst,
    /// build, ...), so lines of one contender read as one family.
    fn styles(&self) -> Vec<(RGBColor, usize)> {
        let family = |n: &str| n.split(' ').next().unwrap_or_default().to_string();
        let variant = |n: &str| n.split_once(' ').map_or("", |(_, v)| v).to_string();
        let families: BTreeSet<String> = self.lines.iter().map(|(n, _)| family(n)).collect();
        let variants: BTreeSet<String> = self.lines.iter().map(|(n, _)| variant(n)).collect();
        let pos = |set: &BTreeSet<String>, v: String| set.iter().position(|s| *s == v);
        self.lines
            .iter()
            .map(|(n, _)| {
                let c = pos(&families, family(n)).unwrap_or(0);
                let v = pos(&variants, variant(n)).unwrap_or(0);
                (PALETTE[c % PALETTE.len()], v)
            })
            .collect()
    }

    fn legend_width(&self) -> u32 {
        let longest = self.lines.iter().map(|(n, _)| n.chars().count()).max();
        longest.unwrap_or(8) as u32 * 8 + 70
    }
}

/// Marker `v` (circle, triangle, square, cross) at a backend coordinate.
pub(super) fn marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    v: usize,
    color: RGBColor,
) -> DrawResult {
    let (x, y) = at;
    let style = color.filled();
    match v % 4 {
        0 => area.draw(&Circle::new(at, 5, style)),
        1 => area.draw(&Polygon::new(
            vec![(x, y - 6), (x - 6, y + 5), (x + 6, y + 5)],
            style,
        )),
        2 => area.draw(&Rectangle::new([(x - 5, y - 5), (x + 5, y + 5)], style)),
        _ => area.draw(&Cross::new(at, 6, color.stroke_width(3))),
    }
    .map_err(e2s)
}

/// A polyline in backend coordinates: solid for variant 0, dashed with longer gaps after.
fn styled_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    pts: &[(i32, i32)],
    v: usize,
    color: RGBColor,
) -> DrawResult {
    let style = color.stroke_width(3);
    if v == 0 {
        return area
            .draw(&PathElement::new(pts.to_vec(), style))
            .map_err(e2s);
    }
    let (dash, gap) = (12 - 3 * (v as i32 % 3).min(2), 4 + 3 * (v as i32 % 3));
    for seg in DashedLineSeries::new(pts.to_vec(), dash, gap, style) {
        area.draw(&seg).map_err(e2s)?;
    }
    Ok(())
}

impl Draw for ScalingData {
    fn name(&self) -> &'static str {
        "scaling"
    }

    fn size(&self) -> (u32, u32) {
        let legend_h = 90 + LEGEND_ROW * self.lines.len() as u32;
        (self.size.0 + self.legend_width(), self.size.1.max(legend_h))
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        area.fill(&WHITE).map_err(e2s)?;
        let (w, _) = self.size();
        let (plot, legend) = area.split_horizontally(w - self.legend_width());
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
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, (FAMILY, 22))
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
        let styles = self.styles();
        for ((_, pts), (color, v)) in self.lines.iter().zip(&styles) {
            let px: Vec<(i32, i32)> = pts
                .iter()
                .map(|(x, y)| chart.backend_coord(&(x.log2(), *y)))
                .collect();
            styled_line(&plot, &px, *v, *color)?;
            for p in &px {
                marker(&plot, *p, *v, *color)?;
            }
        }
        self.draw_legend(&legend, &styles)
    }
}

impl ScalingData {
    /// One entry per line, right of the plot, never over the data.
    fn draw_legend<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        styles: &[(RGBColor, usize)],
    ) -> DrawResult {
        let font =
            TextStyle::from((FAMILY, 15).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        let head = TextStyle::from((FAMILY, 15).into_font().style(FontStyle::Bold))
            .pos(Pos::new(HPos::Left, VPos::Center));
        area.draw_text("contender (line)", &head, (8, 60))
            .map_err(e2s)?;
        for (i, ((name, _), (color, v))) in self.lines.iter().zip(styles).enumerate() {
            let y = 60 + LEGEND_ROW as i32 * (i as i32 + 1);
            styled_line(area, &[(8, y), (44, y)], *v, *color)?;
            marker(area, (26, y), *v, *color)?;
            area.draw_text(name, &font, (52, y)).map_err(e2s)?;
        }
        Ok(())
    }
}

/// Params that name the cell rather than vary along a line.
const IDENTITY_PARAMS: [&str; 4] = ["scenario", "contender", "features", "reference"];

impl ScalingChart {
    /// The points this chart plots: `(point, x)` for each positive median in the scenario and
    /// metric with a numeric x param and every fixed param matching.
    fn selected<'r>(&self, report: &'r Report) -> Vec<(&'r crate::report::Point, f64)> {
        report
            .points
            .iter()
            .filter(|p| p.scenario == self.scenario && p.metric.name == self.metric)
            .filter(|p| self.fixed.iter().all(|(k, v)| p.params.get(k) == Some(v)))
            .filter_map(|p| {
                let x = p.params.get(&self.x_param)?.parse::<f64>().ok()?;
                (x > 0.0 && p.summary.median > 0.0).then_some((p, x))
            })
            .collect()
    }

    /// One line per (contender + features, and every other param that takes more than one
    /// value among the plotted points: build, cap, burst, ...), sorted by x. Merging those
    /// into one line per contender drew zig-zags between caps.
    pub fn lines(&self, report: &Report) -> Vec<(String, Vec<(f64, f64)>)> {
        let sel = self.selected(report);
        let mut values: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (p, _) in &sel {
            for (k, v) in &p.params {
                values.entry(k).or_default().insert(v);
            }
        }
        let splits: Vec<&str> = values
            .into_iter()
            .filter(|(k, v)| {
                v.len() > 1 && *k != self.x_param.as_str() && !IDENTITY_PARAMS.contains(k)
            })
            .map(|(k, _)| k)
            .collect();
        let mut lines: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for (p, x) in sel {
            let mut name = p.contender.clone();
            for f in &p.features {
                name.push('+');
                name.push_str(f);
            }
            for k in &splits {
                let v = p.params.get(*k).map_or("-", String::as_str);
                name.push_str(&format!(" {k}={v}"));
            }
            lines.entry(name).or_default().push((x, p.summary.median));
        }
        for pts in lines.values_mut() {
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        lines.into_iter().collect()
    }
}

impl Exporter for ScalingChart {
    fn extension(&self) -> &'static str {
        self.format.ext()
    }

    fn export(&self, report: &Report, out: &mut dyn io::Write) -> Result<(), ExportError> {
        let lines = self.lines(report);
        if lines.is_empty() {
            return Err(ExportError::Empty {
                what: "scaling chart".into(),
                why: format!(
                    "no positive `{}` points with a numeric `{}` in scenario `{}`",
                    self.metric, self.x_param, self.scenario
                ),
            });
        }
        let unit = self
            .selected(report)
            .first()
            .map(|(p, _)| p.metric.unit.clone())
            .unwrap_or_default();
        let fixed: Vec<String> = self.fixed.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let data = ScalingData {
            lines,
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

/// One heatmap value before layout: its coordinates, number, label and colour tone (the
/// direction-aware gain for deltas, the raw value for medians).
struct HeatRaw {
    x: String,
    y: String,
    value: f64,
    label: String,
    tone: f64,
}

impl HeatmapChart {
    /// The rows' changes of `metric` (optionally one gate), and the title.
    fn deltas(&self, report: &Report, metric: &str, gate: Option<&str>) -> (Vec<HeatRaw>, String) {
        let mut raw = Vec::new();
        for r in &report.rows {
            let Some(m) = r.metric.as_ref().filter(|m| m.name == metric) else {
                continue;
            };
            if gate.is_some_and(|g| g != r.gate_id) {
                continue;
            }
            let (Some(x), Some(y), Some(d)) = (
                r.params.get(&self.x_param),
                r.params.get(&self.y_param),
                r.delta_pct,
            ) else {
                continue;
            };
            let tone = if m.direction == Direction::HigherIsBetter {
                d
            } else {
                -d
            };
            raw.push(HeatRaw {
                x: x.clone(),
                y: y.clone(),
                value: d,
                label: format!("{d:+.1}%"),
                tone,
            });
        }
        let title = format!(
            "change of {metric}{} — {} x {}",
            gate.map(|g| format!(" ({g})")).unwrap_or_default(),
            self.y_param,
            self.x_param
        );
        (raw, title)
    }

    /// The points' medians of one scenario, contender and metric, and the title.
    fn medians(
        &self,
        report: &Report,
        scenario: &str,
        contender: &str,
        metric: &str,
    ) -> (Vec<HeatRaw>, String) {
        let mut raw = Vec::new();
        for p in &report.points {
            if p.scenario != scenario || p.contender != contender || p.metric.name != metric {
                continue;
            }
            let (Some(x), Some(y)) = (p.params.get(&self.x_param), p.params.get(&self.y_param))
            else {
                continue;
            };
            let v = p.summary.median;
            raw.push(HeatRaw {
                x: x.clone(),
                y: y.clone(),
                value: v,
                label: human(v, &p.metric.unit),
                tone: v,
            });
        }
        let title = format!(
            "{metric} — {contender} — {scenario} — {} x {}",
            self.y_param, self.x_param
        );
        (raw, title)
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
        let (raw, title) = match &self.value {
            HeatValue::Delta { metric, gate } => self.deltas(report, metric, gate.as_deref()),
            HeatValue::Median {
                scenario,
                contender,
                metric,
            } => self.medians(report, scenario, contender, metric),
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
        let xs = sort_numeric(raw.iter().map(|r| r.x.clone()).collect());
        let ys = sort_numeric(raw.iter().map(|r| r.y.clone()).collect());
        let span = raw.iter().map(|r| r.tone.abs()).fold(5.0f64, f64::max);
        let (lo, hi) = raw.iter().fold((f64::MAX, f64::MIN), |(a, b), r| {
            (a.min(r.tone), b.max(r.tone))
        });
        let mut cells = BTreeMap::new();
        for r in raw {
            let i = xs.iter().position(|s| *s == r.x).unwrap_or(0);
            let j = ys.iter().position(|s| *s == r.y).unwrap_or(0);
            let color = match self.value {
                HeatValue::Delta { .. } => diverging(r.tone, span),
                HeatValue::Median { .. } => sequential(r.tone, lo, hi),
            };
            cells.entry((i, j)).or_insert((r.value, r.label, color));
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
