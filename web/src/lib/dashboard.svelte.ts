// The dashboard's long-lived state and actions: settings (persisted), the symbol catalogue, the
// @tickwire/client connection (connect(): transports, resume, gap repair), and the bridge between the
// non-reactive market store and Svelte. On a capped render cadence (frame-loop.ts,
// at most once per frame) it syncs every chart and republishes the store's immutable views into
// $state.raw fields; components only read those fields and call the actions here.
import { Route, routeUrl } from '@tickwire/protocol/routes';
import { scaleFactor } from '@tickwire/protocol/units';
import { connect, fetchCandles, initialStatus, type ConnectionStatus, type TickwireClient } from '@tickwire/client';
import { FrameLoop } from './frame-loop.js';
import { setTimeZone as setFormatTimeZone } from './format.js';
import type { InstrumentInfo, SymbolsResponse } from '@tickwire/protocol/instruments';
import { MarketStore } from './market/store.js';
import type { FeedHealth, RowView } from './market/rows.js';
import { emptyStats, type FeedStats } from './market/stats.js';
import type { TapeRow } from './market/tape.js';
import type { ChartInterval } from './market/symbol.js';
import type { ChartController } from './chart/controller.js';
import type { TickwireDebug } from './debug.js';
import { applyLink, hasLink, searchWithScreen } from './deep-link.js';
import type { IndicatorSpec } from './chart/indicators.js';
import { AlertCenter } from './alerts.svelte.js';
import { DASH, formatPrice } from './format.js';
import type { OptionalColumn, WatchSort } from './market/columns.js';
import {
  STORAGE_KEY,
  addTicker,
  defaultPanels,
  loadSettings,
  moveTicker,
  neighbour,
  removeTicker,
  saveSettings,
  type Layout,
  type Settings,
  type Theme,
  withSelection,
  withTimeZone,
} from './settings.js';
import { preferenceFromQuery, tokenFromQuery, type TransportPreference } from '@tickwire/client/transport/policy';

const CATALOGUE_RETRY_MS = 2_000;
/** Connect without the catalogue if it is this slow (unknown tickers are then refused one by one). */
const CATALOGUE_WAIT_MS = 3_000;
/**
 * Instruments registered at run time reach the search without a reload: the catalogue is fetched again
 * when the search opens (at most every CATALOGUE_REFRESH_MIN_MS) and every CATALOGUE_REFRESH_MS. The
 * server revalidates /api/symbols by ETag, so an unchanged list costs a 304.
 */
const CATALOGUE_REFRESH_MS = 60_000;
const CATALOGUE_REFRESH_MIN_MS = 5_000;
const STATS_PUBLISH_MS = 500;
/**
 * Chart cadence: live candles at ~20 Hz. Measured (docs/benchmarks.md, software-rendered Chromium):
 * at 50 symbols × 20 updates/s with four charts, ~30 Hz costs several points more main thread than 20 Hz.
 */
const FRAME_MIN_INTERVAL_MS = 50;
/** Watchlist and tape cadence: ~10 Hz, the usual quote conflation of trading screens. */
const TEXT_MIN_INTERVAL_MS = 100;

export interface DashboardOptions {
  baseUrl: string;
  storage: Storage | null;
  search: string;
}

export class Dashboard {
  settings: Settings = $state.raw(loadSettings(null));
  catalogue: InstrumentInfo[] = $state.raw([]);
  private catalogueFetchedAt = 0;
  rows: RowView[] = $state.raw([]);
  tape: TapeRow[] = $state.raw([]);
  stats: FeedStats = $state.raw(emptyStats());
  /** Feed stalled and stale symbols: replaced only when something about them changed. */
  health: FeedHealth = $state.raw({ feedStalledSec: null, stale: {}, silentCount: 0 });
  connection: ConnectionStatus = $state.raw(initialStatus('auto'));
  /** The URL forces a transport (`?transport=sse`): the UI control shows it and is locked. */
  readonly forcedTransport: TransportPreference | null;

  /** The watchlist's selected ticker (tape, title, ↑/↓); linked panels show it. */
  readonly selected: string = $derived(this.settings.selected);

  readonly store: MarketStore;
  readonly alerts: AlertCenter;
  readonly client: TickwireClient;
  private readonly loop = new FrameLoop({ minIntervalMs: FRAME_MIN_INTERVAL_MS });
  /** Live charts and the panel each one sits in. */
  private readonly charts = new Map<ChartController, number>();
  private readonly firstVisit: boolean;
  /** The page was opened from a deep link: its screen, not the saved or default one. */
  private readonly fromLink: boolean;
  private statsAt = -Infinity;
  private textAt = -Infinity;
  /** Text (rows, tape) changed since the last time it was published. */
  private textDirty = true;
  private started = false;

  constructor(private readonly options: DashboardOptions) {
    this.fromLink = hasLink(options.search);
    this.firstVisit = options.storage?.getItem(STORAGE_KEY) == null && !this.fromLink;
    this.settings = loadSettings(options.storage);
    // Shown, not saved: a link opened once does not replace the saved screen until the user changes it.
    if (this.fromLink) this.settings = applyLink(this.settings, options.search);
    this.forcedTransport = preferenceFromQuery(options.search);
    // One clock for the client's staleness and the store's views.
    const now = () => performance.timeOrigin + performance.now();
    this.client = connect(options.baseUrl, {
      token: tokenFromQuery(options.search),
      transports: this.forcedTransport ?? this.settings.transport,
      // `?compact=1` asks for compact Updates frames (about half the bytes); off until measured in browsers.
      compact: new URLSearchParams(options.search).get('compact') === '1',
      lazy: true, // connects in start(), once the catalogue says which tickers exist
      now,
    });
    this.client.on('status', (status) => {
      this.connection = status;
      this.loop.request();
    });
    this.client.on('error', (error) => {
      if (error.symbolsRejected) this.store.markRejected(error.symbols, error.message);
    });
    this.store = new MarketStore({
      feed: this.client.feed,
      now,
      // Older bars as charts scroll back, and the newest ones of intervals snapshots do not carry.
      history: (symbol, interval, before, limit) =>
        fetchCandles(options.baseUrl, before === undefined ? { symbol, interval, limit } : { symbol, interval, before, limit }),
      onDirty: () => {
        this.textDirty = true;
        this.loop.request();
      },
      onAlert: (changes) => this.alerts.onChanges(changes),
    });
    this.alerts = new AlertCenter({
      alerts: () => this.settings.alerts,
      save: (alerts, reload) => {
        this.update({ ...this.settings, alerts });
        if (reload) this.store.setAlerts(alerts);
      },
      lastPrice: (t) => this.store.lastPrice(t),
      formatPrice: (t, price) => {
        if (Number.isNaN(price)) return DASH;
        // At the symbol's scale, or finer when the alert was typed finer (between two ticks).
        const typed = String(price).split('.')[1]?.length ?? 0;
        const scale = Math.min(10, Math.max(this.store.symbol(t)?.priceScale ?? this.store.info(t)?.priceScale ?? 2, typed));
        return formatPrice(Math.round(price * scaleFactor(scale)), scale);
      },
    });
    this.store.setAlerts(this.settings.alerts);
    this.store.setSort(this.settings.sort);
    this.connection = this.client.status;
    this.store.setWatched(this.settings.watchlist);
    this.loop.add(this.onFrame);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // Stats (rates, latency windows) and freshness (stale ages) keep moving even when no ticks arrive.
    setInterval(() => this.loop.request(), STATS_PUBLISH_MS);
    setInterval(() => this.refreshCatalogue(), CATALOGUE_REFRESH_MS);
    document.addEventListener('visibilitychange', () => this.loop.request());
    this.showInUrl();
    const loaded = this.loadCatalogue();
    await Promise.race([loaded, new Promise((r) => setTimeout(r, CATALOGUE_WAIT_MS))]);
    this.client.setSymbols(this.subscribable(this.settings.watchlist));
    this.client.open();
  }

  private async loadCatalogue(): Promise<void> {
    for (;;) {
      try {
        const response = await fetch(routeUrl(this.options.baseUrl, Route.symbols));
        if (response.ok) {
          const body = (await response.json()) as Partial<SymbolsResponse>;
          if (Array.isArray(body.symbols)) {
            this.applyCatalogue(body.symbols);
            return;
          }
        }
      } catch {
        // Server not up yet: the connection manager reports that; keep trying quietly.
      }
      await new Promise((r) => setTimeout(r, CATALOGUE_RETRY_MS));
    }
  }

  /** Fetches the catalogue again (the search opened, or the periodic refresh); a longer list replaces it. */
  refreshCatalogue(): void {
    const t = Date.now();
    // Before the first load, loadCatalogue() is still trying.
    if (this.catalogue.length === 0 || t - this.catalogueFetchedAt < CATALOGUE_REFRESH_MIN_MS) return;
    this.catalogueFetchedAt = t;
    fetch(routeUrl(this.options.baseUrl, Route.symbols))
      .then((response) => (response.ok ? (response.json() as Promise<Partial<SymbolsResponse>>) : null))
      .then((body) => {
        const list = body?.symbols;
        // Instruments are only ever appended: a longer list is a newer one.
        if (!Array.isArray(list) || list.length <= this.catalogue.length) return;
        this.catalogue = list;
        this.store.setCatalogue(list);
        // Watched tickers the old list lacked (from another tab or a link) can be subscribed now.
        this.client.setSymbols(this.subscribable(this.settings.watchlist));
      })
      .catch(() => {
        // Offline for a moment: the next opening of the search or the next period tries again.
      });
  }

  private applyCatalogue(list: InstrumentInfo[]): void {
    this.catalogue = list;
    this.store.setCatalogue(list);
    if (this.firstVisit) {
      // Default list: keep what this server lists; top up from the catalogue so it is never near-empty.
      const known = new Set(list.map((s) => s.ticker));
      const watchlist = this.settings.watchlist.filter((t) => known.has(t));
      for (const s of list) {
        if (watchlist.length >= 8) break;
        if (!watchlist.includes(s.ticker)) watchlist.push(s.ticker);
      }
      this.update(withSelection({ ...this.settings, watchlist, panels: defaultPanels(watchlist) }, this.settings.selected), false);
    } else if (this.fromLink) {
      // A link may name tickers this server does not list: drop them (their panels move to a listed one).
      const known = new Set(list.map((s) => s.ticker));
      const unknown = this.settings.watchlist.filter((t) => !known.has(t));
      if (unknown.length < this.settings.watchlist.length)
        this.update(
          unknown.reduce((s, t) => removeTicker(s, t), this.settings),
          false,
        );
    } else {
      this.client.setSymbols(this.subscribable(this.settings.watchlist));
    }
  }

  /** Tickers worth subscribing: all of them until the catalogue is known, then only listed ones. */
  private subscribable(watchlist: readonly string[]): string[] {
    if (this.catalogue.length === 0) return [...watchlist];
    return watchlist.filter((t) => this.store.info(t) !== undefined);
  }

  private update(next: Settings, persist = true): void {
    const watchChanged = next.watchlist !== this.settings.watchlist;
    this.settings = next;
    if (persist) saveSettings(this.options.storage, next);
    if (watchChanged) {
      this.store.setWatched(next.watchlist);
      this.client.setSymbols(this.subscribable(next.watchlist));
    }
    this.textDirty = true; // e.g. another selected symbol: its tape
    this.loop.request();
    this.showInUrl();
  }

  /** The screen in the address bar (deep-link.ts), so copying the URL copies the screen. */
  private showInUrl(): void {
    if (typeof window === 'undefined') return;
    const search = searchWithScreen(location.search, this.settings);
    // Only on a change: alerts and stats also save settings, and browsers throttle replaceState.
    if (search !== location.search) history.replaceState(history.state, '', `${location.pathname}${search}${location.hash}`);
  }

  // -- actions ------------------------------------------------------------------------------------

  addSymbol(ticker: string): void {
    const next = addTicker(this.settings, ticker);
    if (next === this.settings) {
      if (this.settings.watchlist.includes(ticker)) this.select(ticker);
      return;
    }
    this.update(next);
    this.select(ticker);
  }

  removeSymbol(ticker: string): void {
    this.update(removeTicker(this.settings, ticker));
  }

  /**
   * Selects `ticker` in the watchlist: the tape and every linked panel follow, fixed panels stay. When
   * the active panel is a fixed one, the first linked panel on screen becomes active (it shows the selection).
   */
  select(ticker: string): void {
    const next = withSelection(this.settings, ticker);
    const { panels, layout, activePanel } = next;
    const linked = panels.findIndex((p, i) => p.linked && i < layout);
    this.update(panels[activePanel]?.linked === false && linked !== -1 ? { ...next, activePanel: linked } : next);
  }

  moveSelection(delta: number): void {
    // In the order on screen (which a column sort may have changed).
    const next = neighbour(
      this.rows.map((r) => r.ticker),
      this.selected,
      delta,
    );
    if (next !== null && next !== this.selected) this.select(next);
  }

  /** Moves a watchlist row in the manual order (drag, Alt+↑/↓). */
  moveSymbol(ticker: string, to: number): void {
    const next = moveTicker(this.settings, ticker, to);
    if (next !== this.settings) this.update(next);
  }

  /** Moves a watchlist row `delta` places (Alt+↑/↓); its new position, or null when it stayed. */
  moveSymbolBy(ticker: string, delta: number): number | null {
    const from = this.settings.watchlist.indexOf(ticker);
    if (from === -1) return null;
    const next = moveTicker(this.settings, ticker, from + delta);
    if (next === this.settings) return null;
    this.update(next);
    return next.watchlist.indexOf(ticker);
  }

  /** Sorts the watchlist by a column (null: the manual order). */
  setSort(sort: WatchSort | null): void {
    this.store.setSort(sort);
    this.update({ ...this.settings, sort });
  }

  /** Shows or hides an optional watchlist column. */
  toggleColumn(column: OptionalColumn): void {
    const shown = this.settings.columns.includes(column);
    this.update({ ...this.settings, columns: shown ? this.settings.columns.filter((c) => c !== column) : [...this.settings.columns, column] });
  }

  activatePanel(index: number): void {
    if (index !== this.settings.activePanel) this.update({ ...this.settings, activePanel: index });
  }

  /** A linked panel's symbol is the selection (the other linked panels follow); a fixed one changes alone. */
  setPanelSymbol(index: number, ticker: string): void {
    if (this.settings.panels[index]?.linked === true) return this.update({ ...withSelection(this.settings, ticker), activePanel: index });
    const panels = this.settings.panels.map((p, j) => (j === index ? { ...p, symbol: ticker } : p));
    this.update({ ...this.settings, panels, activePanel: index });
  }

  /** Links a panel to the watchlist selection (it shows the selected symbol at once) or fixes it on its symbol. */
  setPanelLinked(index: number, linked: boolean): void {
    const panels = this.settings.panels.map((p, j) => (j === index ? { ...p, linked } : p));
    this.update(withSelection({ ...this.settings, panels }, this.settings.selected));
  }

  setPanelIndicators(index: number, indicators: IndicatorSpec[]): void {
    const panels = this.settings.panels.map((p, j) => (j === index ? { ...p, indicators } : p));
    this.update({ ...this.settings, panels });
  }

  setPanelInterval(index: number, interval: ChartInterval): void {
    const panels = this.settings.panels.map((p, j) => (j === index ? { ...p, interval } : p));
    this.update({ ...this.settings, panels, activePanel: index });
  }

  setLayout(layout: Layout): void {
    const activePanel = this.settings.activePanel < layout ? this.settings.activePanel : 0;
    this.update({ ...this.settings, layout, activePanel });
  }

  setTheme(theme: Theme): void {
    this.update({ ...this.settings, theme });
  }

  /** Display time zone ('local' or an IANA name): saved, and the tape's rows shown again in it. */
  setTimeZone(timeZone: string): void {
    const next = withTimeZone(this.settings, timeZone);
    if (next === this.settings) return;
    setFormatTimeZone(next.timeZone);
    this.store.reformatTape();
    this.update(next);
  }

  /** "Retry now" while waiting to reconnect. */
  retryNow(): void {
    this.client.retryNow();
  }

  setTransport(preference: TransportPreference): void {
    this.update({ ...this.settings, transport: preference });
    if (this.forcedTransport === null) this.client.setTransport(preference);
  }

  // -- charts and frames --------------------------------------------------------------------------

  registerChart(chart: ChartController, panel: number): () => void {
    this.charts.set(chart, panel);
    this.loop.request();
    return () => this.charts.delete(chart);
  }

  private readonly onFrame = (now: number): void => {
    this.store.sampleFrame();
    // A hidden page paints nothing: leave the work (and the dirty flags) for when it is visible again.
    if (typeof document !== 'undefined' && document.hidden) return;
    for (const chart of this.charts.keys()) chart.sync(this.store);
    this.health = this.store.health(); // the same object unless it changed: no reactive churn
    if (this.store.freshnessChanged()) this.textDirty = true;
    if (this.textDirty && now - this.textAt >= TEXT_MIN_INTERVAL_MS) {
      this.textAt = now;
      this.textDirty = false;
      this.rows = this.store.rows();
      this.tape = this.store.tape(this.selected || null);
      if (this.store.hasFlash()) {
        this.textDirty = true; // clear the flash tints on a later publish
        this.loop.request();
      }
    } else if (this.textDirty) {
      this.loop.request(); // publish the rest on a later flush
    }
    if (now - this.statsAt >= STATS_PUBLISH_MS) {
      this.statsAt = now;
      this.stats = { ...this.store.stats };
    }
  };

  /** Small read-only window for tests and for poking at a live page: window.__tickwire. */
  debugHook(): TickwireDebug {
    return {
      connection: () => this.client.status,
      stats: () => ({ ...this.store.stats }),
      health: () => this.store.health(),
      symbols: () => this.store.debugSymbols(),
      charts: () => [...this.charts].map(([c, panel]) => ({ panel, ...c.debug(this.store) })).sort((a, b) => a.panel - b.panel),
      barTimes: (panel) => [...this.charts].find(([, p]) => p === panel)?.[0].barTimes() ?? [],
      scrollChart: (panel, bars) => [...this.charts].find(([, p]) => p === panel)?.[0].scrollBy(bars),
      settings: () => this.settings,
    };
  }
}
