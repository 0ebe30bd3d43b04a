/*
 * Remembers the main window's size, position and maximised state in userData/window-state.json. What is read back
 * is validated and placed on a display that still exists, so a removed monitor never leaves the window off-screen.
 * Runs in the Electron main process; a damaged file is ignored, never fatal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Rectangle } from 'electron';
import { z } from 'zod';

export interface WindowState {
  bounds: Partial<Rectangle> & { width: number; height: number };
  maximized: boolean;
}

const DEFAULT_STATE: WindowState = { bounds: { width: 1280, height: 800 }, maximized: false };

const stateSchema = z.object({
  bounds: z.object({
    x: z.number().int().optional(),
    y: z.number().int().optional(),
    width: z.number().int().min(200).max(20_000),
    height: z.number().int().min(150).max(20_000),
  }),
  maximized: z.boolean(),
});

function intersects(a: Rectangle, b: Rectangle): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

export function loadWindowStateSync(file: string, workAreas: readonly Rectangle[]): WindowState {
  let parsed: WindowState;
  try {
    const result = stateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!result.success) return DEFAULT_STATE;
    parsed = result.data;
  } catch {
    return DEFAULT_STATE;
  }
  const { x, y, width, height } = parsed.bounds;
  if (x === undefined || y === undefined) return { ...parsed, bounds: { width, height } };
  const visible = workAreas.some((area) => intersects({ x, y, width, height }, area));
  return visible ? parsed : { ...parsed, bounds: { width, height } };
}

export function saveWindowStateSync(file: string, state: WindowState): void {
  try {
    writeFileSync(file, JSON.stringify(state));
  } catch {
    // Losing the window position is not worth an error dialog.
  }
}
