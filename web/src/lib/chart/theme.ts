// Colours shared by the charts (canvas, so they cannot read CSS) and mirrored by the CSS variables in
// app.css. Up/down use the same teal/red everywhere: watchlist, tape, candles, volume.
import type { Theme } from '../settings.js';
import type { IndicatorKind } from './indicators.js';

export interface Palette {
  background: string;
  text: string;
  grid: string;
  border: string;
  crosshair: string;
  up: string;
  down: string;
  upVolume: string;
  downVolume: string;
  /** Indicator lines: hues apart from up/down and from each other. */
  indicators: Readonly<Record<IndicatorKind, string>>;
}

export function indicatorColour(palette: Palette, kind: IndicatorKind): string {
  return palette.indicators[kind];
}

export const PALETTES: Readonly<Record<Theme, Palette>> = {
  dark: {
    background: '#0f1318',
    text: '#8b96a5',
    grid: '#1a2029',
    border: '#232b36',
    crosshair: '#5d6b7e',
    up: '#26a69a',
    down: '#f25c59',
    upVolume: 'rgba(38, 166, 154, 0.45)',
    downVolume: 'rgba(242, 92, 89, 0.45)',
    indicators: { sma: '#f0b429', ema: '#5b9cf5', vwap: '#d67cf0', bb: '#9aa8ba' },
  },
  light: {
    background: '#ffffff',
    text: '#5b6472',
    grid: '#eef1f4',
    border: '#dde2e8',
    crosshair: '#9aa5b4',
    up: '#00796b',
    down: '#c62828',
    upVolume: 'rgba(0, 121, 107, 0.4)',
    downVolume: 'rgba(198, 40, 40, 0.4)',
    indicators: { sma: '#b7791f', ema: '#1f5fbf', vwap: '#9c27b0', bb: '#5f6f84' },
  },
};
