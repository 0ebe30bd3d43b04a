/*
 * Whether a cell's text could be wider than its column, so the cell needs a clip (overflow: hidden with an
 * ellipsis). Every clip is a node of its own in Chromium's paint property trees, and each frame's layerization
 * walks them all: with ~9 clipped cells a row, a delta that changed three numbers cost 6-7 ms of frame work
 * (bench:ui trace: Paint 2.2 ms, Layerize 1.6-2.0 ms); without clips on cells that fit, 3-4 ms. So a cell is clipped
 * only when an upper bound of its text's width does not fit. The bound is deliberately generous: a clip where none
 * was needed costs a little time, a missing one lets text spill into the next column.
 */

/** Horizontal padding of a cell (.cell in styles.css: 6 px each side). */
export const CELL_PADDING_PX = 12;

/**
 * Per-character upper bounds at the 12 px UI font. Digits (tabular), spaces and thin punctuation: at most ~0.64 em
 * (DejaVu Sans, the widest of the fallback fonts: 7.6 px; '%' and '+' are far wider and count as letters). Anything else: at most ~1 em ('W' in DejaVu Sans is
 * 0.99 em); wider glyphs (CJK, emoji) are counted as two.
 */
const NARROW_PX = 8;
const WIDE_PX = 12;

export function maxTextWidthPx(text: string): number {
  let px = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code < 0x80 && /[-0-9 .,:/()]/.test(ch)) px += NARROW_PX;
    else if (code >= 0x1100) px += 2 * WIDE_PX;
    else px += WIDE_PX;
  }
  return px;
}

/** True when `text` surely fits in `availablePx` without clipping. */
export function fitsUnclipped(text: string, availablePx: number): boolean {
  // Long texts never fit the widths a column can have; skip counting them.
  return text.length * NARROW_PX <= availablePx && maxTextWidthPx(text) <= availablePx;
}
