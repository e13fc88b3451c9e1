// One lightweight-charts instance (candles + a volume pane) bound to a symbol and interval. Created
// once per panel and fed imperatively from the store on the render cadence: bars appended or changed
// since the last frame go through series.update(); setData only when the bar set was replaced (new
// target, snapshot merge, history trim). Never touched by Svelte reactivity. It also owns the live
// edge: the price-axis tag is the live price (not the last visible close), and `onLive` tells the panel
// when the user has dragged or zoomed away from the newest bar, so it can offer "back to live". Scrolled
// near its oldest bar, it asks the store for the page before it (the history service); the store
// prepends it and the next sync reloads, keeping the view where it was. Indicators are line series over
// the candles, kept in step by IndicatorSeries: per frame from the first changed bar, after an older page
// only where that page reaches.
import { scaleFactor } from '@tickwire/protocol/units';
import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  LineStyle,
  TickMarkType,
  createChart,
  type CandlestickData,
  type HistogramData,
  type LineData,
  type WhitespaceData,
  type AutoscaleInfo,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type MouseEventParams,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import { DASH, formatBarDate, formatBarTime, formatChange, formatPercent, formatPrice, formatUtcOffset, formatVolume, setTimeZone } from '../format.js';
import type { MarketStore } from '../market/store.js';
import type { BarBook, ChartInterval } from '../market/symbol.js';
import { lowerBound, strictlyIncreasing, type Bar } from './candles.js';
import { IndicatorSeries, indicatorLabel, specToken, type IndicatorSpec } from './indicators.js';
import { indicatorColour, type Palette } from './theme.js';

export interface LegendIndicator {
  label: string;
  colour: string;
  /** The indicator's value(s) at the legend's bar (Bollinger: upper / middle / lower); a dash when none. */
  value: string;
}

export interface Legend {
  /** Date and time of the bar in the display time zone, with the zone's offset. */
  time: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  /** Direction of the bar (close vs open): the legend's colour. */
  change: number;
  /** Close against the previous bar's close, in price and percent; null for the first bar held. */
  delta: { price: string; percent: string; sign: number } | null;
  indicators: LegendIndicator[];
  hovering: boolean;
}

export interface ChartDebug {
  symbol: string;
  interval: number;
  bars: number;
  firstTime: number | null;
  lastTime: number | null;
  /** Times in the chart strictly increase: no duplicated and no out-of-order bars. */
  strictlyIncreasing: boolean;
  volumeBars: number;
  /** The chart holds exactly the store's bars (same times, same OHLCV) after a sync. */
  matchesStore: boolean;
  setDataCalls: number;
  updateCalls: number;
  /** Dragged or zoomed away from the newest bar: the panel offers "back to live". */
  away: boolean;
  /** Price (ticks) of the axis tag: the live price; null while hidden. */
  tagPrice: number | null;
  /** Close (ticks) of the newest bar and of the rightmost visible bar: the tag must follow the first. */
  lastClose: number | null;
  lastVisibleClose: number | null;
  /** Bars across the visible range (the zoom level). */
  visibleBars: number;
  /** Bars between the newest bar and the right edge (lightweight-charts' scrollPosition). */
  scrollPosition: number;
  /** Times of the first and last bar in view (older pages coming in must not move them). */
  visibleFrom: number | null;
  visibleTo: number | null;
  /** Indicator line series on the chart, and whether every point equals a computation from scratch. */
  indicatorLines: number;
  indicatorsMatch: boolean;
  /** The first point that differs, for failure messages. */
  indicatorMismatch: string | null;
}

/** One indicator on the chart: its values and a line series per output line. */
interface IndicatorView {
  values: IndicatorSeries;
  lines: ISeriesApi<'Line'>[];
}

const DEFAULT_BAR_SPACING = 6;
/** Widest bars when a short history is spread over the pane; the user may still zoom in further. */
const FIT_MAX_BAR_SPACING = 14;
/** Zoom-in limit: candles about 48 px wide, so zooming never stops early (the old 14 px limit did). */
const MAX_BAR_SPACING = 60;
/** Empty bars kept right of the newest one at the live edge. */
const RIGHT_OFFSET = 4;
/** Older bars are requested once fewer than this many are left of the visible range. */
const LOAD_MARGIN_BARS = 60;
/** Scroll distance (bars) from the live position that counts as "away from live". */
const LIVE_TOLERANCE = 1.5;
const FONT = "ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

function tickMark(time: Time, type: TickMarkType): string {
  const sec = time as number;
  if (type === TickMarkType.TimeWithSeconds) return formatBarTime(sec, true);
  if (type === TickMarkType.Time) return formatBarTime(sec, false);
  return formatBarDate(sec);
}

export class ChartController {
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  /** The axis tag at the live price: the series' own tag shows the last *visible* close (lightweight-charts v5). */
  private readonly liveLine: IPriceLine;
  private livePrice = -1;
  private liveUp = true;
  private away = false;
  private palette: Palette;

  private symbol = '';
  private interval: ChartInterval = 60;
  private book: BarBook | undefined;
  private generation = -1;
  private version = -1;
  private lastTime = -Infinity;
  private priceScale = -1;
  private sizeScale = 0;
  private hovering = false;
  /** The next reload is for a new target: frame its bars instead of keeping the old scroll position. */
  private fresh = true;
  private setDataCalls = 0;
  private updateCalls = 0;
  /** The store of the last sync: where scroll-back asks for older bars. */
  private store: MarketStore | undefined;
  private indicators: IndicatorView[] = [];
  private indicatorKey = '';
  /** Bars the indicator values were computed over (to tell an older page in front from a replaced set). */
  private indicatorBars = 0;

  constructor(
    container: HTMLElement,
    palette: Palette,
    private readonly onLegend: (legend: Legend | null) => void,
    private readonly onLive: (away: boolean) => void = () => {},
  ) {
    this.palette = palette;
    this.chart = createChart(container, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: palette.background },
        textColor: palette.text,
        fontSize: 11,
        fontFamily: FONT,
        // Attribution is given once in the status bar ("Charts by TradingView"), as the licence asks.
        attributionLogo: false,
        panes: { separatorColor: palette.border, separatorHoverColor: palette.border, enableResize: false },
      },
      grid: { vertLines: { color: palette.grid }, horzLines: { color: palette.grid } },
      crosshair: { mode: CrosshairMode.Normal },
      rightPriceScale: { borderColor: palette.border, scaleMargins: { top: 0.12, bottom: 0.06 } },
      timeScale: {
        borderColor: palette.border,
        timeVisible: true,
        secondsVisible: true,
        rightOffset: RIGHT_OFFSET,
        barSpacing: DEFAULT_BAR_SPACING,
        maxBarSpacing: MAX_BAR_SPACING,
        // Zooming keeps the newest bar where it is, so a zoom at the live edge stays live.
        rightBarStaysOnScroll: true,
        tickMarkFormatter: tickMark,
      },
      localization: { timeFormatter: (t: Time) => formatBarTime(t as number, true), locale: 'en-US' },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, {
      upColor: palette.up,
      downColor: palette.down,
      wickUpColor: palette.up,
      wickDownColor: palette.down,
      borderVisible: false,
      lastValueVisible: false,
      priceLineVisible: false,
      // The scale always includes the live price, so its tag stays on screen while the user reads history.
      autoscaleInfoProvider: (original: () => AutoscaleInfo | null) => {
        const info = original();
        if (info === null || info.priceRange === null || this.livePrice <= 0) return info;
        const live = this.livePrice / scaleFactor(this.priceScale);
        const { minValue, maxValue } = info.priceRange;
        return { ...info, priceRange: { minValue: Math.min(minValue, live), maxValue: Math.max(maxValue, live) } };
      },
    });
    this.liveLine = this.candles.createPriceLine({
      price: 0,
      color: palette.up,
      lineWidth: 1,
      lineStyle: LineStyle.Dotted,
      lineVisible: false,
      axisLabelVisible: false,
    });
    this.volume = this.chart.addSeries(
      HistogramSeries,
      { priceLineVisible: false, lastValueVisible: false, priceFormat: { type: 'custom', minMove: 1, formatter: (v: number) => formatVolume(v, 0) } },
      1,
    );
    this.chart.panes()[0]?.setStretchFactor(4);
    this.chart.panes()[1]?.setStretchFactor(1);
    this.chart.subscribeCrosshairMove(this.onCrosshair);
    this.chart.timeScale().subscribeVisibleLogicalRangeChange(this.onRange);
  }

  /** Scrolls back to the newest bar (the "back to live" control). */
  goLive(): void {
    // No animation: live updates during scrollToRealTime's 400 ms animation can stop it short of the edge.
    this.chart.timeScale().scrollToPosition(RIGHT_OFFSET, false);
  }

  /** Re-renders axis and legend times after the display time zone changed. */
  setTimeZone(timeZone: string): void {
    setTimeZone(timeZone);
    // New formatter objects make lightweight-charts drop its cached labels and redraw.
    this.chart.applyOptions({
      timeScale: { tickMarkFormatter: (t: Time, type: TickMarkType) => tickMark(t, type) },
      localization: { timeFormatter: (t: Time) => formatBarTime(t as number, true) },
    });
    this.hovering = false;
    this.publishLegend();
  }

  /** Points the chart at another symbol/interval; the next sync reloads its bars. */
  setTarget(symbol: string, interval: ChartInterval): void {
    if (symbol === this.symbol && interval === this.interval) return;
    this.symbol = symbol;
    this.interval = interval;
    this.book = undefined;
    this.generation = -1;
    this.version = -1;
    this.fresh = true;
    this.chart.applyOptions({ timeScale: { secondsVisible: interval < 60 } });
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
    this.chart.applyOptions({
      layout: {
        background: { type: ColorType.Solid, color: palette.background },
        textColor: palette.text,
        panes: { separatorColor: palette.border, separatorHoverColor: palette.border },
      },
      grid: { vertLines: { color: palette.grid }, horzLines: { color: palette.grid } },
      rightPriceScale: { borderColor: palette.border },
      timeScale: { borderColor: palette.border },
    });
    this.candles.applyOptions({ upColor: palette.up, downColor: palette.down, wickUpColor: palette.up, wickDownColor: palette.down });
    this.liveLine.applyOptions({ color: this.liveUp ? palette.up : palette.down });
    for (const view of this.indicators) for (const line of view.lines) line.applyOptions({ color: indicatorColour(palette, view.values.spec.kind) });
    this.generation = -1; // volume colours are per bar: reload them
  }

  /** Shows these indicators (replacing the ones shown); values are computed from the bars held. */
  setIndicators(specs: readonly IndicatorSpec[]): void {
    const key = specs.map(specToken).join(':');
    if (key === this.indicatorKey) return;
    this.indicatorKey = key;
    for (const view of this.indicators) for (const line of view.lines) this.chart.removeSeries(line);
    this.indicators = specs.map((spec) => {
      const values = new IndicatorSeries(spec);
      const colour = indicatorColour(this.palette, spec.kind);
      const lines = values.lines.map((_, j) =>
        this.chart.addSeries(
          LineSeries,
          {
            color: colour,
            lineWidth: 1,
            // Bollinger: the middle line dashed between solid bands.
            lineStyle: spec.kind === 'bb' && j === 1 ? LineStyle.Dashed : LineStyle.Solid,
            priceLineVisible: false,
            lastValueVisible: false,
            crosshairMarkerVisible: false,
            priceFormat: this.candles.options().priceFormat,
          },
          0,
        ),
      );
      return { values, lines };
    });
    this.indicatorBars = 0;
    this.reloadIndicators(this.book?.bars ?? [], 0);
    this.publishLegend();
  }

  /** Brings the chart up to date with the store. Called once per render flush (≤ once per frame). */
  sync(store: MarketStore): void {
    this.store = store;
    const book = store.book(this.symbol, this.interval);
    const state = store.symbol(this.symbol);
    if (book === undefined || state === undefined) {
      if (this.book !== undefined || this.generation !== -2) this.reload([]);
      this.book = undefined;
      this.generation = -2;
      this.showLive(-1);
      return;
    }
    if (state.priceScale !== this.priceScale || state.sizeScale !== this.sizeScale) this.applyScales(state.priceScale, state.sizeScale);
    if (book !== this.book || book.generation !== this.generation) {
      const prepended = book === this.book && this.book.bars.length > 0 ? this.prependedBars(book.bars) : 0;
      this.book = book;
      this.generation = book.generation;
      this.version = book.version;
      this.reload(book.bars, prepended);
      this.publishLegend();
      this.showLive(state.last);
      return;
    }
    if (book.version === this.version) return;
    this.version = book.version;
    const bars = book.bars;
    // Bars at or after the last pushed time changed since the previous frame (usually just the last one).
    let i = bars.length;
    while (i > 0 && (bars[i - 1] as Bar).time >= this.lastTime) i--;
    this.updateIndicators(bars, i);
    for (; i < bars.length; i++) {
      const bar = bars[i] as Bar;
      this.candles.update(this.candle(bar));
      this.volume.update(this.volumeBar(bar));
      this.updateCalls++;
    }
    const last = bars[bars.length - 1];
    if (last !== undefined) this.lastTime = last.time;
    this.publishLegend();
    this.showLive(state.last);
  }

  /** Moves the axis tag to the live price (ticks; ≤ 0 hides it), coloured like the newest bar. */
  private showLive(priceTicks: number): void {
    const last = this.book?.bars[this.book.bars.length - 1];
    const up = last === undefined || last.close >= last.open;
    if (priceTicks === this.livePrice && up === this.liveUp) return;
    this.livePrice = priceTicks;
    this.liveUp = up;
    const visible = priceTicks > 0;
    this.liveLine.applyOptions({
      price: visible ? priceTicks / scaleFactor(this.priceScale) : 0,
      color: up ? this.palette.up : this.palette.down,
      lineVisible: visible,
      axisLabelVisible: visible,
    });
  }

  /** Bars now in front of the first bar the chart holds (an older page was prepended); 0 when none. */
  private prependedBars(bars: readonly Bar[]): number {
    const held = this.candles.data()[0];
    return held === undefined ? 0 : lowerBound(bars, held.time as number);
  }

  /** Replaces the chart's bars; `prepended` older bars in front keep the view on the bars it showed. */
  private reload(bars: readonly Bar[], prepended = 0): void {
    const timeScale = this.chart.timeScale();
    const range = prepended > 0 && !this.fresh ? timeScale.getVisibleLogicalRange() : null;
    this.candles.setData(bars.map((b) => this.candle(b)));
    this.volume.setData(bars.map((b) => this.volumeBar(b)));
    this.setDataCalls++;
    this.reloadIndicators(bars, prepended);
    this.lastTime = bars.length > 0 ? (bars[bars.length - 1] as Bar).time : -Infinity;
    // Logical indices count from the first bar: shift the range by what came in front, so nothing moves.
    if (range !== null) timeScale.setVisibleLogicalRange({ from: range.from + prepended, to: range.to + prepended });
    if (this.fresh && bars.length > 0) {
      // Bars from a snapshot alone may be few: frame again once the history service's page is in.
      this.fresh = this.book?.needsSeed === true;
      // Few bars: spread them over the width, up to FIT_MAX_BAR_SPACING (fitContent alone would make a
      // handful of bars fat). Many: the default spacing. Either way the newest bar on the right.
      const fit = timeScale.width() / (bars.length + RIGHT_OFFSET);
      timeScale.applyOptions({ barSpacing: Math.max(DEFAULT_BAR_SPACING, Math.min(FIT_MAX_BAR_SPACING, fit)) });
      this.goLive();
    }
  }

  /**
   * Indicator values and lines for a new bar set. After an older page (`prepended` bars in front of the
   * ones computed), only what that page reaches is recomputed, plus the newest bars, which ticks may
   * have changed in the same frame; anything else is computed from scratch.
   */
  private reloadIndicators(bars: readonly Bar[], prepended: number): void {
    const held = this.indicatorBars;
    for (const { values, lines } of this.indicators) {
      if (prepended > 0 && held > 0 && prepended + held <= bars.length) {
        values.prepend(bars, prepended);
        values.update(bars, prepended + held - 1);
      } else values.reset(bars);
      lines.forEach((line, j) => line.setData(bars.map((b, i) => this.point(b.time, values.lines[j]![i]!))));
    }
    this.indicatorBars = bars.length;
  }

  /** Bars from `from` on changed or were appended since the last frame. */
  private updateIndicators(bars: readonly Bar[], from: number): void {
    for (const { values, lines } of this.indicators) {
      values.update(bars, from);
      lines.forEach((line, j) => {
        for (let i = from; i < bars.length; i++) line.update(this.point(bars[i]!.time, values.lines[j]![i]!));
      });
    }
    this.indicatorBars = bars.length;
  }

  /** An indicator value (ticks; NaN: none yet) as a line point, or a gap. */
  private point(time: number, ticks: number): LineData<Time> | WhitespaceData<Time> {
    return Number.isNaN(ticks) ? { time: time as UTCTimestamp } : { time: time as UTCTimestamp, value: ticks / scaleFactor(this.priceScale) };
  }

  private applyScales(priceScale: number, sizeScale: number): void {
    this.priceScale = priceScale;
    this.sizeScale = sizeScale;
    const factor = scaleFactor(priceScale);
    const priceFormat = { type: 'custom', minMove: 1 / factor, formatter: (p: number) => formatPrice(Math.round(p * factor), priceScale) } as const;
    this.candles.applyOptions({ priceFormat });
    for (const view of this.indicators) for (const line of view.lines) line.applyOptions({ priceFormat });
    const sizeFactor = scaleFactor(sizeScale);
    this.volume.applyOptions({
      priceFormat: { type: 'custom', minMove: 1 / sizeFactor, formatter: (v: number) => formatVolume(Math.round(v * sizeFactor), sizeScale) },
    });
    this.generation = -1;
  }

  private candle(b: Bar): CandlestickData<Time> {
    const f = scaleFactor(this.priceScale);
    return { time: b.time as UTCTimestamp, open: b.open / f, high: b.high / f, low: b.low / f, close: b.close / f };
  }

  private volumeBar(b: Bar): HistogramData<Time> {
    return {
      time: b.time as UTCTimestamp,
      value: b.volume / scaleFactor(this.sizeScale),
      color: b.close >= b.open ? this.palette.upVolume : this.palette.downVolume,
    };
  }

  private legendOf(index: number, hovering: boolean): Legend | null {
    const bars = this.book?.bars;
    const bar = bars?.[index];
    if (bar === undefined) return null;
    const s = this.priceScale;
    const previous = bars?.[index - 1];
    const day = formatBarDate(bar.time);
    return {
      // Daily bars have no time of day; every other bar says its day too (history spans days).
      time: `${this.interval >= 86_400 ? day : `${day} ${formatBarTime(bar.time, this.interval < 60)}`} ${formatUtcOffset(bar.time * 1000)}`,
      open: formatPrice(bar.open, s),
      high: formatPrice(bar.high, s),
      low: formatPrice(bar.low, s),
      close: formatPrice(bar.close, s),
      volume: formatVolume(bar.volume, this.sizeScale),
      change: Math.sign(bar.close - bar.open),
      delta:
        previous === undefined
          ? null
          : {
              price: formatChange(bar.close - previous.close, s),
              percent: formatPercent(bar.close - previous.close, previous.close),
              sign: Math.sign(bar.close - previous.close),
            },
      indicators: this.indicators.map(({ values }) => ({
        label: indicatorLabel(values.spec),
        colour: indicatorColour(this.palette, values.spec.kind),
        value: values.lines.map((line) => (Number.isNaN(line[index] ?? NaN) ? DASH : formatPrice(Math.round(line[index]!), s))).join(' / '),
      })),
      hovering,
    };
  }

  private publishLegend(): void {
    if (this.hovering) return;
    this.onLegend(this.legendOf((this.book?.bars.length ?? 0) - 1, false));
  }

  private readonly onCrosshair = (param: MouseEventParams<Time>): void => {
    const bars = this.book?.bars;
    if (param.time === undefined || bars === undefined) {
      this.hovering = false;
      this.publishLegend();
      return;
    }
    const time = param.time as number;
    const index = lowerBound(bars, time);
    this.hovering = bars[index]?.time === time;
    if (this.hovering) this.onLegend(this.legendOf(index, true));
  };

  /** Syncs first, so the comparison with the store is not off by the ticks of one frame. */
  debug(store: MarketStore): ChartDebug {
    this.sync(store);
    const data = this.candles.data();
    const volumes = this.volume.data();
    const times = data.map((d) => d.time as number);
    const bars = this.book?.bars ?? [];
    const f = scaleFactor(this.priceScale);
    const vf = scaleFactor(this.sizeScale);
    const matchesStore =
      data.length === bars.length &&
      volumes.length === bars.length &&
      bars.every((b, i) => {
        const c = data[i] as CandlestickData<Time>;
        const v = volumes[i] as HistogramData<Time>;
        return (
          c.time === b.time &&
          Math.round(c.open * f) === b.open &&
          Math.round(c.high * f) === b.high &&
          Math.round(c.low * f) === b.low &&
          Math.round(c.close * f) === b.close &&
          v.time === b.time &&
          Math.abs(v.value * vf - b.volume) < 1e-6 * Math.max(1, b.volume)
        );
      });
    return {
      symbol: this.symbol,
      interval: this.interval,
      bars: data.length,
      firstTime: times[0] ?? null,
      lastTime: times[times.length - 1] ?? null,
      strictlyIncreasing: strictlyIncreasing(times),
      volumeBars: volumes.length,
      matchesStore,
      setDataCalls: this.setDataCalls,
      updateCalls: this.updateCalls,
      ...this.liveDebug(bars),
      ...this.indicatorDebug(bars),
    };
  }

  /** Every indicator point against values computed from scratch over the same bars (seams included). */
  private indicatorDebug(bars: readonly Bar[]): Pick<ChartDebug, 'indicatorLines' | 'indicatorsMatch' | 'indicatorMismatch'> {
    const f = scaleFactor(this.priceScale);
    let lines = 0;
    let mismatch: string | null = null;
    for (const view of this.indicators) {
      const fresh = new IndicatorSeries(view.values.spec);
      fresh.reset(bars);
      view.lines.forEach((line, j) => {
        lines++;
        // lightweight-charts leaves gaps (bars without a value yet) out of data(): compare the valued points.
        const data = line.data().filter((d) => 'value' in d);
        const want = fresh.lines[j]!.flatMap((v, i) => (Number.isNaN(v) ? [] : [{ time: bars[i]!.time, value: v }]));
        const name = `${indicatorLabel(view.values.spec)}[${j}]`;
        if (mismatch === null && data.length !== want.length) mismatch = `${name}: ${data.length} points, ${want.length} expected over ${bars.length} bars`;
        for (let i = 0; i < data.length && mismatch === null; i++) {
          const d = data[i] as LineData<Time>;
          const w = want[i]!;
          if (d.time !== w.time || Math.abs(d.value * f - w.value) > 1e-6 * Math.max(1, Math.abs(w.value)))
            mismatch = `${name} point ${i}/${want.length} (${String(d.time)}): ${d.value * f} vs ${w.value} at ${w.time}`;
        }
      });
    }
    return { indicatorLines: lines, indicatorsMatch: mismatch === null, indicatorMismatch: mismatch };
  }

  private liveDebug(
    bars: readonly Bar[],
  ): Pick<ChartDebug, 'away' | 'tagPrice' | 'lastClose' | 'lastVisibleClose' | 'visibleBars' | 'scrollPosition' | 'visibleFrom' | 'visibleTo'> {
    const range = this.chart.timeScale().getVisibleLogicalRange();
    const times = this.chart.timeScale().getVisibleRange();
    const rightmost = range === null ? -1 : Math.min(bars.length - 1, Math.floor(range.to));
    return {
      away: this.away,
      tagPrice: this.livePrice > 0 ? this.livePrice : null,
      lastClose: bars[bars.length - 1]?.close ?? null,
      lastVisibleClose: bars[rightmost]?.close ?? null,
      visibleBars: range === null ? 0 : range.to - range.from,
      scrollPosition: this.chart.timeScale().scrollPosition(),
      visibleFrom: times === null ? null : (times.from as number),
      visibleTo: times === null ? null : (times.to as number),
    };
  }

  /** Times of the bars the chart holds (tests compare them across pages). */
  barTimes(): number[] {
    return this.candles.data().map((d) => d.time as number);
  }

  /** Scrolls the view `bars` bars back in time (negative: forward), as a drag would (tests, console). */
  scrollBy(bars: number): void {
    const timeScale = this.chart.timeScale();
    timeScale.scrollToPosition(timeScale.scrollPosition() - bars, false);
  }

  private readonly onRange = (): void => {
    const range = this.chart.timeScale().getVisibleLogicalRange();
    if (range !== null && range.from < LOAD_MARGIN_BARS && this.book !== undefined) this.store?.loadOlder(this.symbol, this.interval);
    // scrollPosition(): bars between the newest bar and the right edge (RIGHT_OFFSET when live; negative
    // once the newest bar is scrolled off the right; large when dragged into the empty future).
    const away = Math.abs(this.chart.timeScale().scrollPosition() - RIGHT_OFFSET) > LIVE_TOLERANCE && this.lastTime !== -Infinity;
    if (away === this.away) return;
    this.away = away;
    this.onLive(away);
  };

  destroy(): void {
    this.chart.timeScale().unsubscribeVisibleLogicalRangeChange(this.onRange);
    this.chart.unsubscribeCrosshairMove(this.onCrosshair);
    this.chart.remove();
  }
}
